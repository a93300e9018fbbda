#pragma once
#include <QMainWindow>

namespace tb::ui {

class RunHistoryPanel;
class TrainingPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const QString& dbPath, QWidget* parent = nullptr);
    TrainingPanel* trainingPanel() const { return m_training; }
    RunHistoryPanel* historyPanel() const { return m_history; }

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void openRunConfig();

    TrainingPanel* m_training = nullptr;
    RunHistoryPanel* m_history = nullptr;
};

} // namespace tb::ui
