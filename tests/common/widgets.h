#pragma once
// What the window tests share: finding a named child widget (a warning names
// one that is missing, and the test then fails on the null pointer), settings
// kept in a temporary folder under a test organisation (never the user's),
// and a small LoRA RUN.json over "twice N" records for a tiny model.
#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <QCoreApplication>
#include <QObject>
#include <QSettings>
#include <QString>
#include <QTemporaryDir>

#include <string>

namespace tbtest {

template <typename T>
T* child(QObject* parent, const char* name)
{
    T* w = parent->findChild<T*>(QLatin1String(name));
    if (!w)
        qWarning("no child %s", name);
    return w;
}

// QSettings of this test program go to `folder` (call from initTestCase).
inline void useTestSettings(const char* program, const QString& folder)
{
    QCoreApplication::setOrganizationName("TunebenchTest");
    QCoreApplication::setApplicationName(QString::fromLatin1(program));
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, folder);
}

// `n` records {"prompt": "twice i", "response": "2i"} for i = first, first+1, ... as JSONL.
inline void writeTwiceRecords(const QString& path, int n, int first = 0)
{
    std::string data;
    for (int i = first; i < first + n; ++i)
        data += nlohmann::json({{"prompt", "twice " + std::to_string(i)}, {"response", std::to_string(2 * i)}}).dump() +
                "\n";
    tb::io::writeFileAtomic(path.toStdString(), data);
}

// RUN.json in `dir`: LoRA on `model` over 40 records in d.jsonl, plain
// template, a fifth held out for validation, the given training settings.
inline QString writeTwiceRun(const QTemporaryDir& dir, const std::string& model, const nlohmann::json& training,
                             const std::string& name)
{
    writeTwiceRecords(dir.filePath("d.jsonl"), 40);
    const nlohmann::json run = {{"name", name},
                                {"model", model},
                                {"data", {{"train", {"d.jsonl"}}, {"template", "plain"}, {"validation_fraction", 0.2}}},
                                {"method", {{"method", "lora"}}},
                                {"training", training}};
    tb::io::writeFileAtomic(dir.filePath("RUN.json").toStdString(), run.dump());
    return dir.filePath("RUN.json");
}

} // namespace tbtest
