#include "ui/common/recent_files.h"

#include <QAction>
#include <QDir>
#include <QFileInfo>
#include <QMenu>
#include <QSettings>

namespace tb::ui {

RecentFiles::RecentFiles(QString category, int maxEntries, QObject* parent)
    : QObject(parent), m_category(std::move(category)), m_max(std::max(1, maxEntries))
{
}

QString RecentFiles::key() const { return QStringLiteral("recent/") + m_category; }

QStringList RecentFiles::files() const
{
    QStringList out;
    for (const QString& f : QSettings().value(key()).toStringList())
        if (QFileInfo::exists(f))
            out.push_back(f);
    return out;
}

void RecentFiles::add(const QString& path)
{
    const QString absolute = QDir::cleanPath(QFileInfo(path).absoluteFilePath());
    QSettings settings;
    QStringList list = settings.value(key()).toStringList();
    list.removeAll(absolute);
    list.prepend(absolute);
    while (list.size() > m_max)
        list.removeLast();
    settings.setValue(key(), list);
    Q_EMIT changed();
}

void RecentFiles::clear()
{
    QSettings().remove(key());
    Q_EMIT changed();
}

QString RecentFiles::lastDirectory() const
{
    const QStringList list = files();
    return list.isEmpty() ? QString() : QFileInfo(list.first()).absolutePath();
}

void RecentFiles::fillMenu(QMenu* menu)
{
    menu->clear();
    const QStringList list = files();
    for (int i = 0; i < list.size(); ++i) {
        const QString& path = list[i];
        const QString label = i < 9 ? QStringLiteral("&%1 %2").arg(i + 1).arg(QFileInfo(path).fileName())
                                    : QFileInfo(path).fileName();
        QAction* action = menu->addAction(label);
        action->setToolTip(path);
        action->setStatusTip(path);
        connect(action, &QAction::triggered, this, [this, path] { Q_EMIT fileChosen(path); });
    }
    if (list.isEmpty())
        menu->addAction(tr("(none)"))->setEnabled(false);
    menu->addSeparator();
    QAction* clearAction = menu->addAction(tr("&Clear list"));
    clearAction->setEnabled(!list.isEmpty());
    connect(clearAction, &QAction::triggered, this, &RecentFiles::clear);
}

} // namespace tb::ui
