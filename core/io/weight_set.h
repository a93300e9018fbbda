#pragma once
// Named tensors read from disk, viewed in place where possible: the files of
// a (possibly sharded) safetensors checkpoint, or a llama2.c checkpoint
// converted to Hugging Face names. No LibTorch here.
#include "io/safetensors.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tb::io {

struct WeightView {
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    const void* data = nullptr;
    std::string file; // for error messages
    // Keeps `data` valid (the mapped file or an owned buffer) for as long as a
    // tensor viewing it in place lives; empty for views added by hand.
    std::shared_ptr<const void> owner;
    bool mapped = false; // `data` is in a file mapping: io::releaseMappedPages applies
};

class WeightSet {
public:
    const WeightView* find(const std::string& name) const;
    std::vector<std::string> names() const;
    size_t size() const { return m_views.size(); }

    // model.safetensors, or the shards named by model.safetensors.index.json.
    static WeightSet fromHfFolder(const std::string& folder);
    static WeightSet fromSafetensors(const std::string& path);

    void add(const std::string& name, WeightView view) { m_views[name] = std::move(view); }
    // Keeps a buffer alive for views into it (llama2.c's permuted weights).
    const float* own(std::vector<float> buffer);
    void keep(std::shared_ptr<void> resource) { m_resources.push_back(std::move(resource)); }

private:
    void addFile(std::shared_ptr<SafetensorsFile> file);

    std::map<std::string, WeightView> m_views;
    std::vector<std::shared_ptr<void>> m_resources;
    std::vector<std::shared_ptr<std::vector<float>>> m_buffers;
};

} // namespace tb::io
