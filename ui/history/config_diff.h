#pragma once
// The configurations (RUN.json) of several runs side by side: one row per
// flattened key ("training.learning_rate"), one column per run, the rows
// where the runs differ highlighted, and by default only those shown.
#include <QList>
#include <QString>
#include <QWidget>

#include <map>
#include <optional>
#include <string>
#include <vector>

class QCheckBox;
class QLabel;
class QTableWidget;

namespace tb::ui {

// A configuration as flat key -> value text: nested objects join their keys
// with '.', arrays and scalars are leaves written as compact JSON (strings
// without quotes). Text that is not a JSON object gives an empty map.
std::map<QString, QString> flattenConfig(const std::string& configJson);

struct ConfigDiff {
    QStringList keys; // sorted
    // [key][run]: the value, or nothing when that run's configuration lacks the key.
    std::vector<std::vector<std::optional<QString>>> values;
    std::vector<bool> differs; // [key]: not every run has the same value
};
ConfigDiff diffConfigs(const std::vector<std::string>& configsJson);

class ConfigDiffView : public QWidget {
    Q_OBJECT
public:
    struct Column {
        qint64 run = 0;
        QString label;
        std::string configJson;
    };

    explicit ConfigDiffView(QWidget* parent = nullptr);
    void setRuns(std::vector<Column> runs);
    QTableWidget* table() const { return m_table; }
    QCheckBox* differencesOnly() const { return m_differencesOnly; }
    // The keys the table shows now, top to bottom.
    QStringList shownKeys() const;

protected:
    void changeEvent(QEvent* event) override;

private:
    void rebuild();

    std::vector<Column> m_runs;
    QCheckBox* m_differencesOnly = nullptr;
    QLabel* m_note = nullptr;
    QTableWidget* m_table = nullptr;
};

} // namespace tb::ui
