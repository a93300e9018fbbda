#include "ui/common/window_store.h"

#include "store/run_store.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QThread>

#include <map>
#include <memory>

#include <sys/stat.h>

namespace tb::ui {
namespace {

struct OpenStore {
    std::unique_ptr<store::RunStore> store;
    dev_t device = 0;
    ino_t inode = 0;
};

std::map<QString, OpenStore>& openStores()
{
    static std::map<QString, OpenStore> stores;
    return stores;
}

// The file's identity; false when it does not exist (yet).
bool fileIdentity(const QString& path, dev_t& device, ino_t& inode)
{
    struct stat st {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return false;
    device = st.st_dev;
    inode = st.st_ino;
    return true;
}

QString key(const QString& dbPath)
{
    return QFileInfo(dbPath).absoluteFilePath();
}

} // namespace

store::RunStore& windowStore(const QString& dbPath)
{
    Q_ASSERT(!QCoreApplication::instance() || QThread::currentThread() == QCoreApplication::instance()->thread());
    const QString path = key(dbPath);
    auto& stores = openStores();
    auto it = stores.find(path);
    dev_t device = 0;
    ino_t inode = 0;
    const bool exists = fileIdentity(path, device, inode);
    if (it != stores.end() && exists && it->second.device == device && it->second.inode == inode)
        return *it->second.store;
    if (it != stores.end())
        stores.erase(it);
    OpenStore opened;
    opened.store = std::make_unique<store::RunStore>(path.toStdString()); // creates the file when missing
    fileIdentity(path, opened.device, opened.inode);
    return *stores.emplace(path, std::move(opened)).first->second.store;
}

void closeWindowStore(const QString& dbPath)
{
    openStores().erase(key(dbPath));
}

} // namespace tb::ui
