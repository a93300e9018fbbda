#pragma once
// A most-recently-used list of files kept in QSettings under
// "recent/<category>" (e.g. runConfigs, suites, datasets). Instances of the
// same category share the list: every read goes to QSettings.
#include <QObject>
#include <QStringList>

class QMenu;

namespace tb::ui {

class RecentFiles : public QObject {
    Q_OBJECT
public:
    explicit RecentFiles(QString category, int maxEntries = 10, QObject* parent = nullptr);

    QString category() const { return m_category; }
    // Most recent first; files that no longer exist are left out.
    QStringList files() const;
    // Moves `path` (made absolute) to the front, dropping the oldest beyond the maximum.
    void add(const QString& path);
    void clear();
    // The folder of the most recent file: where an Open dialog should start.
    QString lastDirectory() const;

    // Rebuilds `menu`: one action per file (its name, the full path as tool
    // tip; Alt+1..9 mnemonics), then "Clear". Choosing one emits fileChosen.
    void fillMenu(QMenu* menu);

Q_SIGNALS:
    void fileChosen(const QString& path);
    void changed();

private:
    QString key() const;

    QString m_category;
    int m_max;
};

} // namespace tb::ui
