#pragma once
// Runs a program (the CLI under test) to the end and keeps what it said:
// the exit code (-1 when it crashed or did not finish), stdout and stderr.
#include <QProcess>
#include <QString>
#include <QStringList>

namespace tb::test {

struct ProcessRun {
    int exitCode = -1;
    QString out, err;
};

inline ProcessRun runProcess(const QString& program, const QStringList& args, int timeoutMs)
{
    QProcess p;
    p.start(program, args);
    p.waitForFinished(timeoutMs);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

} // namespace tb::test
