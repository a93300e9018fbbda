#pragma once
// Data-parallel tests start ranks as torchrun would: a free loopback port for
// the rendezvous, the torchrun variables per rank, processes that are killed
// (and continued first, in case a test stopped one) when the test ends, and
// the key=value lines and raw float files the worker processes report with.
#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <memory>
#include <vector>

namespace tbtest {

// A port on 127.0.0.1 that was free a moment ago.
inline int freePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    if (fd >= 0)
        ::close(fd);
    if (!ok)
        qFatal("no free port on 127.0.0.1");
    return ntohs(addr.sin_port);
}

// This environment plus torchrun's variables for `rank` of `world` on one machine.
inline QProcessEnvironment rankEnvironment(int rank, int world, int port)
{
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("RANK", QString::number(rank));
    env.insert("WORLD_SIZE", QString::number(world));
    env.insert("LOCAL_RANK", QString::number(rank));
    env.insert("LOCAL_WORLD_SIZE", QString::number(world));
    env.insert("MASTER_ADDR", "127.0.0.1");
    env.insert("MASTER_PORT", QString::number(port));
    env.insert("OMP_NUM_THREADS", "1");
    return env;
}

// Ranks 0..n-1 of this test program, run as `PROGRAM --worker MODE DIR`.
struct Ranks {
    std::vector<std::unique_ptr<QProcess>> procs;

    Ranks(const QString& mode, const QString& dir, int n)
    {
        const int port = freePort();
        for (int r = 0; r < n; ++r) {
            auto p = std::make_unique<QProcess>();
            p->setProcessEnvironment(rankEnvironment(r, n, port));
            p->start(QCoreApplication::applicationFilePath(), {"--worker", mode, dir});
            p->waitForStarted();
            procs.push_back(std::move(p));
        }
    }
    ~Ranks()
    {
        for (auto& p : procs)
            if (p->state() != QProcess::NotRunning) {
                ::kill(static_cast<pid_t>(p->processId()), SIGCONT);
                p->kill();
                p->waitForFinished(5000);
            }
    }
    Ranks(const Ranks&) = delete;
    Ranks& operator=(const Ranks&) = delete;
    bool finish(int ms = 60000)
    {
        bool ok = true;
        for (auto& p : procs)
            ok = p->waitForFinished(ms) && ok;
        return ok;
    }
    QProcess& operator[](int r) { return *procs[static_cast<size_t>(r)]; }
};

// The key=value lines a worker printed on stdout.
inline std::map<QString, QString> workerLines(QProcess& p)
{
    std::map<QString, QString> kv;
    for (const auto& line : QString::fromUtf8(p.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts)) {
        const auto eq = line.indexOf('=');
        kv[line.left(eq)] = line.mid(eq + 1);
    }
    return kv;
}

// A file of raw native floats (empty when it cannot be read).
inline std::vector<float> readFloats(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const auto bytes = f.readAll();
    std::vector<float> v(static_cast<size_t>(bytes.size()) / sizeof(float));
    std::memcpy(v.data(), bytes.constData(), v.size() * sizeof(float));
    return v;
}

} // namespace tbtest
