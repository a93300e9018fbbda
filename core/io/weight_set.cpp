#include "io/weight_set.h"

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/json_error.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

namespace fs = std::filesystem;

namespace tb::io {

const WeightView* WeightSet::find(const std::string& name) const
{
    auto it = m_views.find(name);
    return it == m_views.end() ? nullptr : &it->second;
}

std::vector<std::string> WeightSet::names() const
{
    std::vector<std::string> out;
    for (const auto& [name, view] : m_views)
        out.push_back(name);
    return out;
}

const float* WeightSet::own(std::vector<float> buffer)
{
    auto shared = std::make_shared<std::vector<float>>(std::move(buffer));
    m_buffers.push_back(shared);
    return shared->data();
}

void WeightSet::addFile(std::shared_ptr<SafetensorsFile> file)
{
    for (const auto& t : file->tensors())
        m_views[t.name] = WeightView{t.dtype, t.shape, file->data(t), file->path(), file, file->mapped()};
    m_resources.push_back(std::move(file));
}

WeightSet WeightSet::fromSafetensors(const std::string& path)
{
    WeightSet set;
    set.addFile(SafetensorsFile::open(path));
    return set;
}

WeightSet WeightSet::fromHfFolder(const std::string& folder)
{
    const fs::path dir(folder);
    const fs::path single = dir / "model.safetensors";
    const fs::path index = dir / "model.safetensors.index.json";
    if (fs::exists(single))
        return fromSafetensors(single.string());
    if (!fs::exists(index))
        throw Error(folder + ": no model.safetensors or model.safetensors.index.json in the folder"
                             " (PyTorch .bin checkpoints are not read: convert them to safetensors)");

    const std::string indexPath = index.string();
    nlohmann::json j;
    const std::string indexText = readFile(indexPath);
    try {
        j = nlohmann::json::parse(indexText);
    } catch (const nlohmann::json::exception& e) {
        throw Error(indexPath + ": " + jsonErrorText(e, indexText));
    }
    auto map = j.find("weight_map");
    if (map == j.end() || !map->is_object() || map->empty())
        throw Error(indexPath + ": missing or empty object 'weight_map'");

    std::map<std::string, std::shared_ptr<SafetensorsFile>> shards;
    WeightSet set;
    for (auto it = map->begin(); it != map->end(); ++it) {
        if (!it.value().is_string())
            throw Error(indexPath + ": weight_map['" + it.key() + "']: expected a file name, found " + it.value().dump());
        const std::string shardName = it.value().get<std::string>();
        if (shardName.find('/') != std::string::npos || shardName == ".." )
            throw Error(indexPath + ": weight_map['" + it.key() + "']: shard '" + shardName +
                        "' must be a file name in the same folder");
        auto& shard = shards[shardName];
        if (!shard) {
            const fs::path shardPath = dir / shardName;
            if (!fs::exists(shardPath))
                throw Error(indexPath + ": shard '" + shardName + "' (for '" + it.key() + "') does not exist");
            shard = SafetensorsFile::open(shardPath.string());
            set.m_resources.push_back(shard);
        }
        const TensorInfo* info = shard->find(it.key());
        if (!info)
            throw Error(shard->path() + ": tensor '" + it.key() + "' listed in model.safetensors.index.json is missing");
        set.m_views[it.key()] = WeightView{info->dtype, info->shape, shard->data(*info), shard->path(), shard,
                                           shard->mapped()};
    }
    return set;
}

} // namespace tb::io
