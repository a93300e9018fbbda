#include "engine/run_inspection.h"

#include "common/error.h"
#include "engine/model_loader.h"
#include "engine/model_source.h"
#include "peft/targets.h"
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <map>
#include <set>

namespace tb::engine {

namespace {

constexpr size_t kTopChanges = 20;

// Norms in double precision, so a small update against a large weight keeps its digits.
double frobenius(const torch::Tensor& t) { return t.detach().to(torch::kCPU, torch::kDouble).norm().item<double>(); }

std::string lastComponent(const std::string& path)
{
    const auto dot = path.rfind('.');
    return dot == std::string::npos ? path : path.substr(dot + 1);
}

std::string parentPath(const std::string& path)
{
    const auto dot = path.rfind('.');
    return dot == std::string::npos ? std::string() : path.substr(0, dot);
}

std::vector<LoraUpdate> loraUpdates(model::CausalLMImpl& m)
{
    std::vector<LoraUpdate> out;
    for (auto& [path, proj] : m.projections()) {
        if (!proj->hasLora())
            continue;
        LoraUpdate u;
        u.path = path;
        u.projection = lastComponent(path);
        u.layer = peft::layerIndexOf(path);
        u.updateNorm = frobenius(proj->loraDelta());
        u.weightNorm = frobenius(proj->weight);
        u.ratio = u.weightNorm > 0 ? u.updateNorm / u.weightNorm : 0.0;
        out.push_back(u);
    }
    return out;
}

// adapterParameters() names an adapter's tensors <adapter>.up.weight,
// <adapter>.down.bias, ...; LoRA factors (<projection>.lora_A.weight) are not adapters.
std::vector<AdapterUpdate> adapterUpdates(model::CausalLMImpl& m)
{
    std::vector<AdapterUpdate> out;
    std::map<std::string, size_t> index;
    for (const auto& [name, t] : m.adapterParameters()) {
        if (lastComponent(name) != "weight")
            continue;
        const std::string part = lastComponent(parentPath(name)); // up or down
        if (part != "up" && part != "down")
            continue;
        const std::string path = parentPath(parentPath(name));
        auto it = index.find(path);
        if (it == index.end()) {
            it = index.emplace(path, out.size()).first;
            AdapterUpdate a;
            a.path = path;
            a.layer = peft::layerIndexOf(path);
            out.push_back(a);
        }
        (part == "up" ? out[it->second].upNorm : out[it->second].downNorm) = frobenius(t);
    }
    return out;
}

std::vector<VirtualToken> virtualTokens(model::CausalLMImpl& m, const torch::Tensor& prompt,
                                        const tok::Tokenizer* tokenizer, int64_t nearest)
{
    const int64_t V = m.config().vocabSize;
    const auto device = m.parameters().front().device();
    const auto table = m.embed(torch::arange(V, torch::TensorOptions().dtype(torch::kLong).device(device)))
                           .to(torch::kCPU, torch::kDouble); // [V, C]
    const auto p = prompt.detach().to(torch::kCPU, torch::kDouble); // [P, C]
    // Cosine similarity of every virtual token with every vocabulary embedding: [P, V].
    const auto unit = [](const torch::Tensor& x) { return x / x.norm(2, {1}, true).clamp_min(1e-12); };
    const auto cosine = torch::matmul(unit(p), unit(table).t());
    const int64_t k = std::clamp<int64_t>(nearest, 0, V);
    std::vector<VirtualToken> out;
    for (int64_t i = 0; i < p.size(0); ++i) {
        VirtualToken v;
        v.index = i;
        v.norm = p[i].norm().item<double>();
        if (k > 0) {
            const auto top = cosine[i].topk(k);
            const auto values = std::get<0>(top), ids = std::get<1>(top);
            for (int64_t j = 0; j < k; ++j) {
                NearToken t;
                t.id = ids[j].item<int64_t>();
                t.similarity = values[j].item<double>();
                if (tokenizer)
                    t.text = tokenizer->decode({t.id}, false);
                v.nearest.push_back(t);
            }
        }
        out.push_back(v);
    }
    return out;
}

void compareWithBase(model::CausalLMImpl& trained, const std::string& baseModel, RunInspection& r)
{
    auto base = model::LanguageModel::load(baseModel);
    std::map<std::string, torch::Tensor> baseParams;
    for (const auto& item : base->module()->named_parameters())
        baseParams.emplace(item.key(), item.value());
    std::set<const void*> added;
    for (const auto& [name, t] : trained.adapterParameters())
        added.insert(t.unsafeGetTensorImpl());
    std::vector<TensorChange> all;
    for (const auto& item : trained.named_parameters()) {
        if (added.count(item.value().unsafeGetTensorImpl()))
            continue;
        const auto b = baseParams.find(item.key());
        if (b == baseParams.end())
            continue;
        if (b->second.sizes() != item.value().sizes())
            throw Error("run " + std::to_string(r.runId) + ": tensor '" + item.key() + "' has shape " +
                        c10::str(item.value().sizes()) + " but the base model " + baseModel + " has " +
                        c10::str(b->second.sizes()) + "; is the run's base model the one it was trained on?");
        const auto t = item.value().detach().to(torch::kCPU, torch::kDouble);
        TensorChange c;
        c.name = item.key();
        c.layer = peft::layerIndexOf(c.name);
        c.changeNorm = (t - b->second.detach().to(torch::kCPU, torch::kDouble)).norm().item<double>();
        c.baseNorm = frobenius(b->second);
        c.relative = c.baseNorm > 0 ? c.changeNorm / c.baseNorm : c.changeNorm;
        ++r.tensorsCompared;
        r.tensorsChanged += c.changeNorm > 0;
        all.push_back(c);
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const TensorChange& a, const TensorChange& b) { return a.relative > b.relative; });
    if (all.size() > kTopChanges)
        all.resize(kTopChanges);
    r.changes = std::move(all);
}

} // namespace

RunInspection inspectRun(const store::RunStore& store, int64_t runId, int64_t nearest)
{
    const RunWeights w = resolveRunWeights(store, runId);
    ModelSpec spec;
    spec.run = runId;
    LoadedModel loaded = loadModel(spec, store.path(), nullptr, TokenizerNeed::Optional);

    RunInspection r;
    r.runId = runId;
    r.method = peft::methodName(w.config.method.method);
    r.weightsKind = w.kind == RunWeights::Kind::Adapter ? "adapter" : "model";
    r.weightsPath = w.path;
    r.baseModel = loaded.baseModel;

    torch::NoGradGuard noGrad;
    auto& m = *loaded.lm->module();
    r.lora = loraUpdates(m);
    r.adapters = adapterUpdates(m);
    if (loaded.peft && loaded.peft->promptEmbeddings().defined())
        r.prompt = virtualTokens(m, loaded.peft->promptEmbeddings(), loaded.tokenizer.get(), nearest);
    const auto method = w.config.method.method;
    if (w.kind == RunWeights::Kind::Model || method == peft::Method::Full || method == peft::Method::Selective)
        compareWithBase(m, loaded.baseModel, r);
    return r;
}

} // namespace tb::engine
