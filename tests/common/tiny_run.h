#pragma once
// Test helper: a whole RUN.json for the tiny model (tests/common/tiny_model.h)
// on 16 prompt/response records ("add one to N" → N+1), the plain template, a
// quarter held out, LoRA; `training` is the run's "training" object.
#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <QString>
#include <QTemporaryDir>

#include <string>

namespace tbtest {

inline nlohmann::json tinyRun(const QTemporaryDir& tmp, const std::string& model, const nlohmann::json& training,
                              const std::string& name = "panel-run")
{
    using nlohmann::json;
    std::string data;
    for (int i = 0; i < 16; ++i)
        data += json({{"prompt", "add one to " + std::to_string(i)}, {"response", std::to_string(i + 1)}}).dump() + "\n";
    tb::io::writeFileAtomic(tmp.filePath("d.jsonl").toStdString(), data);
    return {{"name", name},
            {"model", model},
            {"data", {{"train", {tmp.filePath("d.jsonl").toStdString()}}, {"template", "plain"}, {"validation_fraction", 0.25}}},
            {"method", {{"method", "lora"}}},
            {"training", training}};
}

// Writes RUN to NAME in TMP and returns its path.
inline QString writeRun(const QTemporaryDir& tmp, const nlohmann::json& run, const QString& name = "RUN.json")
{
    tb::io::writeFileAtomic(tmp.filePath(name).toStdString(), run.dump(2));
    return tmp.filePath(name);
}

} // namespace tbtest
