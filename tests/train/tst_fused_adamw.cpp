// The flat AdamW (train/fused_adamw.h) against LibTorch's own
// torch::optim::AdamW as the independent reference: 30 steps on parameters of
// several shapes in two groups (decay / no decay), a learning rate changing
// every step, gradient clipping; accumulation of two backward passes; state
// saved and loaded mid-way; state written by torch::optim::AdamW (checkpoints
// of earlier versions) read and continued; and the Trainer resuming a run
// from its checkpoints, new and old format, exactly.
#include "common/error.h"
#include "io/safetensors.h"
#include "model/language_model.h"
#include "peft/peft_model.h"
#include "train/fused_adamw.h"
#include "train/trainer.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>

using namespace tb;
namespace fs = std::filesystem;

namespace {

using Named = train::FusedAdamW::Named;

const std::string kModels = std::string(TB_FIXTURES_DIR) + "/models/";

constexpr double kWeightDecay = 0.1;
constexpr double kMaxNorm = 40.0; // the norms are ~15 (most steps) and ~150 (every third)

struct Params {
    Named decay, noDecay;
    std::vector<torch::Tensor> all() const
    {
        std::vector<torch::Tensor> out;
        for (const auto* group : {&decay, &noDecay})
            for (const auto& [name, p] : *group)
                out.push_back(p);
        return out;
    }
};

// Random parameters of several shapes: matrices and a 3-D tensor decay,
// vectors (biases, norms) do not.
Params randomParams()
{
    torch::manual_seed(7);
    auto make = [](std::vector<int64_t> shape) { return torch::randn(shape).requires_grad_(true); };
    Params p;
    p.decay = {{"w0", make({7, 5})}, {"w1", make({3, 4, 6})}, {"w2", make({64, 33})}};
    p.noDecay = {{"b0", make({13})}, {"b1", make({1})}, {"b2", make({129})}};
    return p;
}

// The same values in fresh tensors (a second optimizer's own parameters).
Params copyOf(const Params& from)
{
    Params p;
    for (const auto& [name, t] : from.decay)
        p.decay.emplace_back(name, t.detach().clone().requires_grad_(true));
    for (const auto& [name, t] : from.noDecay)
        p.noDecay.emplace_back(name, t.detach().clone().requires_grad_(true));
    return p;
}

double lrAt(int step) { return 1e-3 + 1e-2 * 0.5 * (1 + std::cos(0.7 * step)); }

// One backward pass of a loss whose gradient is R + 0.1 p, R random per
// (step, pass), scaled so that some steps exceed kMaxNorm and some do not.
void backward(const std::vector<torch::Tensor>& params, int step, int pass)
{
    auto gen = at::detail::createCPUGenerator(static_cast<uint64_t>(1000 * step + pass));
    const double scale = step % 3 == 0 ? 3.0 : 0.3;
    torch::Tensor loss = torch::zeros({});
    for (const auto& p : params)
        loss = loss + (p * (scale * at::randn(p.sizes(), gen))).sum() + 0.05 * (p * p).sum();
    loss.backward();
}

std::unique_ptr<torch::optim::AdamW> referenceOptimizer(const Params& p)
{
    auto opts = torch::optim::AdamWOptions(1e-3).betas({0.9, 0.95}).eps(1e-8);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    std::vector<torch::Tensor> decay, noDecay;
    for (const auto& [name, t] : p.decay)
        decay.push_back(t);
    for (const auto& [name, t] : p.noDecay)
        noDecay.push_back(t);
    groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                   torch::optim::AdamWOptions(opts).weight_decay(kWeightDecay)));
    groups.emplace_back(noDecay,
                        std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(opts).weight_decay(0)));
    return std::make_unique<torch::optim::AdamW>(std::move(groups), opts);
}

std::unique_ptr<train::FusedAdamW> fusedOptimizer(const Params& p)
{
    train::FusedAdamWOptions o;
    o.beta1 = 0.9;
    o.beta2 = 0.95;
    o.eps = 1e-8;
    o.weightDecay = kWeightDecay;
    return std::make_unique<train::FusedAdamW>(p.decay, p.noDecay, o);
}

// Steps [from, to) of the reference; returns the gradient norms before clipping.
std::vector<double> runReference(torch::optim::AdamW& opt, const Params& p, int from, int to, int passes = 1)
{
    std::vector<double> norms;
    for (int step = from; step < to; ++step) {
        for (auto& group : opt.param_groups())
            group.options().set_lr(lrAt(step));
        opt.zero_grad();
        for (int pass = 0; pass < passes; ++pass)
            backward(p.all(), step, pass);
        norms.push_back(torch::nn::utils::clip_grad_norm_(p.all(), kMaxNorm));
        opt.step();
    }
    return norms;
}

std::vector<double> runFused(train::FusedAdamW& opt, const Params& p, int from, int to, int passes = 1)
{
    std::vector<double> norms;
    for (int step = from; step < to; ++step) {
        opt.setLearningRate(lrAt(step));
        opt.zeroGrad();
        for (int pass = 0; pass < passes; ++pass)
            backward(p.all(), step, pass);
        norms.push_back(opt.clipGradNorm(kMaxNorm));
        opt.step();
    }
    return norms;
}

// Within 1e-6 relative: every element's difference at most 1e-6 of the
// tensor's largest magnitude (f32 rounding in a different order leaves ~1e-7).
bool closeRelative(const torch::Tensor& got, const torch::Tensor& expected, double* relative = nullptr)
{
    const double scale = expected.abs().max().item<double>();
    const double diff = (got - expected).abs().max().item<double>();
    if (relative)
        *relative = diff / scale;
    return diff <= 1e-6 * scale;
}

void compareClose(const Params& got, const Params& expected)
{
    const auto g = got.all(), e = expected.all();
    QCOMPARE(g.size(), e.size());
    for (size_t i = 0; i < g.size(); ++i) {
        double relative = 0;
        QVERIFY2(closeRelative(g[i], e[i], &relative),
                 qPrintable(QString("parameter %1: relative difference %2").arg(i).arg(relative)));
    }
}

void compareNorms(const std::vector<double>& got, const std::vector<double>& expected)
{
    QCOMPARE(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i)
        QVERIFY2(std::abs(got[i] - expected[i]) <= 1e-5 * expected[i],
                 qPrintable(QString("step %1: %2 vs %3").arg(i).arg(got[i]).arg(expected[i])));
}

// --- trainer runs ---

std::vector<train::Sequence> corpus(int n)
{
    std::vector<train::Sequence> out;
    for (int i = 0; i < n; ++i) {
        train::Sequence s;
        for (int t = 0; t < 12; ++t)
            s.ids.push_back(3 + i % 7 + t * ((i % 3) + 1));
        s.labels = s.ids;
        s.labels[0] = train::kIgnoreIndex;
        out.push_back(s);
    }
    return out;
}

struct Recorder : train::TrainObserver {
    std::vector<double> losses;
    std::vector<std::string> checkpoints;
    void onStep(const train::StepEvent& e) override { losses.push_back(e.loss); }
    void onCheckpoint(int64_t, const std::string& dir) override { checkpoints.push_back(dir); }
};

train::TrainConfig trainerConfig()
{
    train::TrainConfig c;
    c.maxSteps = 6;
    c.checkpointEvery = 3;
    c.batchSize = 4;
    c.learningRate = 5e-3;
    c.schedule = "cosine";
    c.weightDecay = 0.1;
    c.clipNorm = 0.5; // clips: the tiny model's gradient norms are larger
    c.seed = 5;
    return c;
}

Recorder trainFull(const std::string& out, const std::string& resumeFrom = {})
{
    peft::MethodConfig full;
    full.method = peft::Method::Full;
    peft::PeftModel m(model::LanguageModel::load(kModels + "llama_tied")->module(), full);
    train::Trainer t(m, trainerConfig(), corpus(10), {}, out);
    Recorder r;
    RunControl control;
    const auto result = t.run(r, control, resumeFrom);
    if (result.status != train::TrainStatus::Completed)
        throw Error("training failed: " + result.error);
    return r;
}

// The trainable tensors of a checkpoint, by name.
std::map<std::string, torch::Tensor> checkpointWeights(const std::string& dir)
{
    std::map<std::string, torch::Tensor> out;
    const auto file = io::SafetensorsFile::open(dir + "/trainable.safetensors");
    for (const auto& info : file->tensors())
        if (info.dtype == io::DType::F32)
            out[info.name] =
                torch::from_blob(const_cast<uint8_t*>(file->data(info)), info.shape, torch::kFloat32).clone();
    return out;
}

void compareCheckpoints(const std::string& got, const std::string& expected)
{
    const auto g = checkpointWeights(got), e = checkpointWeights(expected);
    QCOMPARE(g.size(), e.size());
    QVERIFY(!g.empty());
    for (const auto& [name, t] : e)
        QVERIFY2(g.count(name) && torch::equal(g.at(name), t), name.c_str());
}

} // namespace

class TestFusedAdamW : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void matchesTorchAdamWOver30StepsWithClippingAndTwoGroups()
    {
        const Params ref = randomParams();
        const Params fused = copyOf(ref);
        auto refOpt = referenceOptimizer(ref);
        auto fusedOpt = fusedOptimizer(fused);
        const auto refNorms = runReference(*refOpt, ref, 0, 30);
        const auto fusedNorms = runFused(*fusedOpt, fused, 0, 30);
        compareNorms(fusedNorms, refNorms);
        compareClose(fused, ref);
        // Both regimes exercised: steps that clip and steps that do not.
        const auto clipped = std::count_if(refNorms.begin(), refNorms.end(), [](double n) { return n > kMaxNorm; });
        QVERIFY(clipped > 0 && clipped < 30);
        QCOMPARE(fusedOpt->stepCount(), int64_t(30));
        // And the parameters moved: weight decay and updates did something.
        QVERIFY(!torch::allclose(fused.decay[2].second, randomParams().decay[2].second, 1e-3, 1e-3));
    }

    void parametersAndGradientsAreViewsOfTheFlatBuffers()
    {
        const Params p = randomParams();
        const auto values = p.all();
        std::vector<torch::Tensor> before;
        for (const auto& t : values)
            before.push_back(t.detach().clone());
        auto opt = fusedOptimizer(p);
        QCOMPARE(opt->numel(), int64_t(35 + 72 + 64 * 33 + 13 + 1 + 129));
        const float* flat = opt->flatParams().data_ptr<float>();
        const float* grads = opt->flatGrads().data_ptr<float>();
        int64_t offset = 0;
        for (size_t i = 0; i < values.size(); ++i) {
            QVERIFY(torch::equal(values[i], before[i])); // same sizes and values
            QCOMPARE(values[i].data_ptr<float>(), flat + offset);
            QCOMPARE(values[i].grad().data_ptr<float>(), grads + offset);
            offset += values[i].numel();
        }
        backward(values, 0, 0);
        backward(values, 0, 1); // autograd accumulates in place: still the same views
        for (size_t i = 0; i < values.size(); ++i)
            QCOMPARE(values[i].grad().data_ptr<float>(), grads + (values[i].data_ptr<float>() - flat));
        QVERIFY(opt->flatGrads().abs().sum().item<double>() > 0);
        opt->zeroGrad();
        QCOMPARE(opt->flatGrads().abs().sum().item<double>(), 0.0);
        // A gradient set to none (another library's zero_grad) comes back into the flat buffer as zeros.
        values[0].mutable_grad() = torch::Tensor();
        opt->step();
        QCOMPARE(values[0].grad().data_ptr<float>(), grads);
    }

    void accumulationOfTwoBackwardPassesMatchesTorch()
    {
        const Params ref = randomParams();
        const Params fused = copyOf(ref);
        auto refOpt = referenceOptimizer(ref);
        auto fusedOpt = fusedOptimizer(fused);
        compareNorms(runFused(*fusedOpt, fused, 0, 10, 2), runReference(*refOpt, ref, 0, 10, 2));
        compareClose(fused, ref);
        // The accumulated gradients themselves, before a step.
        refOpt->zero_grad();
        fusedOpt->zeroGrad();
        for (int pass = 0; pass < 2; ++pass) {
            backward(ref.all(), 10, pass);
            backward(fused.all(), 10, pass);
        }
        const auto r = ref.all(), f = fused.all();
        for (size_t i = 0; i < r.size(); ++i)
            QVERIFY(closeRelative(f[i].grad(), r[i].grad()));
    }

    void tensorOpsKernelMatchesTheLoop()
    {
        const Params a = randomParams();
        const Params b = copyOf(a);
        auto loop = fusedOptimizer(a);
        auto ops = fusedOptimizer(b);
        ops->setKernel(train::FusedAdamW::Kernel::TensorOps);
        runFused(*loop, a, 0, 30);
        runFused(*ops, b, 0, 30);
        compareClose(b, a);
    }

    void savedStateContinuesAsAnUninterruptedRun()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("optimizer.safetensors").toStdString();
        const Params whole = randomParams();
        auto wholeOpt = fusedOptimizer(whole);
        runFused(*wholeOpt, whole, 0, 30);

        const Params first = randomParams();
        {
            auto opt = fusedOptimizer(first);
            runFused(*opt, first, 0, 15);
            opt->saveState(path);
        }
        // A new optimizer on new tensors holding the weights at step 15 (as a checkpoint's).
        const Params second = copyOf(first);
        auto opt = fusedOptimizer(second);
        opt->loadState(path);
        QCOMPARE(opt->stepCount(), int64_t(15));
        runFused(*opt, second, 15, 30);
        const auto w = whole.all(), s = second.all();
        for (size_t i = 0; i < w.size(); ++i)
            QVERIFY(torch::equal(s[i], w[i])); // bit for bit
        // Compact: the two moments and a small header.
        QVERIFY(fs::file_size(path) < static_cast<uintmax_t>(2 * 4 * opt->numel() + 4096));
    }

    void torchAdamWStateIsReadAndContinued()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("optimizer.pt").toStdString();
        const Params ref = randomParams();
        auto refOpt = referenceOptimizer(ref);
        runReference(*refOpt, ref, 0, 12);
        torch::save(*refOpt, path);

        const Params fused = copyOf(ref);
        auto fusedOpt = fusedOptimizer(fused);
        fusedOpt->loadTorchAdamWState(path);
        QCOMPARE(fusedOpt->stepCount(), int64_t(12));
        compareNorms(runFused(*fusedOpt, fused, 12, 30), runReference(*refOpt, ref, 12, 30));
        compareClose(fused, ref);
    }

    void wrongInputsAreClearErrors()
    {
        auto message = [](const std::function<void()>& f) -> QString {
            try {
                f();
            } catch (const Error& e) {
                return QString::fromStdString(e.what());
            }
            return {};
        };
        Params p = randomParams();
        p.noDecay.emplace_back("half", torch::zeros({4}, torch::kBFloat16).requires_grad_(true));
        const QString dtype = message([&] { fusedOptimizer(p); });
        QVERIFY2(dtype.contains("'half'") && dtype.contains("BFloat16") && dtype.contains("f32"), qPrintable(dtype));

        Params twice = randomParams();
        twice.noDecay.push_back(twice.decay[0]);
        QVERIFY(message([&] { fusedOptimizer(twice); }).contains("listed twice"));

        // State of other parameters, and a file that is not this format.
        QTemporaryDir dir;
        const std::string path = dir.filePath("o.safetensors").toStdString();
        const Params a = randomParams();
        fusedOptimizer(a)->saveState(path);
        Params other = randomParams();
        other.noDecay.pop_back();
        const QString layout = message([&] { fusedOptimizer(other)->loadState(path); });
        QVERIFY2(layout.contains("other trainable parameters"), qPrintable(layout));
        const std::string weights = dir.filePath("w.safetensors").toStdString();
        float x = 1;
        io::writeSafetensors(weights, {{"x", io::DType::F32, {1}, &x, sizeof x}});
        QVERIFY(message([&] { fusedOptimizer(randomParams())->loadState(weights); }).contains("not an AdamW state"));
        QVERIFY(message([&] { fusedOptimizer(randomParams())->loadTorchAdamWState(weights); })
                    .contains("not an AdamW state"));
    }

    void trainerResumeFromCheckpointEqualsTheUninterruptedRun()
    {
        QTemporaryDir dir;
        const auto full = trainFull(dir.filePath("a").toStdString());
        QCOMPARE(full.checkpoints.size(), size_t(2));
        QVERIFY(fs::exists(full.checkpoints[0] + "/optimizer.safetensors"));
        QVERIFY(!fs::exists(full.checkpoints[0] + "/optimizer.pt"));
        const auto resumed = trainFull(dir.filePath("b").toStdString(), full.checkpoints[0]);
        QCOMPARE(resumed.losses.size(), size_t(3));
        for (size_t i = 0; i < 3; ++i)
            QCOMPARE(resumed.losses[i], full.losses[3 + i]); // bit for bit
        compareCheckpoints(resumed.checkpoints.back(), full.checkpoints.back());
    }

    void trainerResumesACheckpointWrittenByTorchAdamW()
    {
        // The step-3 checkpoint as earlier versions wrote it: its AdamW state
        // in optimizer.pt from torch::optim::AdamW, with the trainer's groups
        // then (matrices decay, first; norms and biases do not).
        QTemporaryDir dir;
        const auto full = trainFull(dir.filePath("a").toStdString());
        const std::string old = dir.filePath("old").toStdString();
        fs::copy(full.checkpoints[0], old);
        const auto flat = io::SafetensorsFile::open(old + "/optimizer.safetensors");
        const auto* expAvg = flat->find("exp_avg");
        const auto* expAvgSq = flat->find("exp_avg_sq");
        QVERIFY(expAvg && expAvgSq);
        peft::MethodConfig fullMethod;
        fullMethod.method = peft::Method::Full;
        peft::PeftModel m(model::LanguageModel::load(kModels + "llama_tied")->module(), fullMethod);
        std::vector<torch::Tensor> decay, noDecay;
        for (const auto& [name, p] : m.trainableParameters())
            (p.dim() >= 2 ? decay : noDecay).push_back(p);
        QVERIFY(!decay.empty() && !noDecay.empty());
        std::vector<torch::optim::OptimizerParamGroup> groups{decay, noDecay};
        torch::optim::AdamW torchAdamW(std::move(groups));
        int64_t offset = 0;
        for (const auto* group : {&decay, &noDecay})
            for (const auto& p : *group) {
                auto state = std::make_unique<torch::optim::AdamWParamState>();
                auto slice = [&](const io::TensorInfo* info) {
                    const auto* base = reinterpret_cast<const float*>(flat->data(*info)) + offset;
                    return torch::from_blob(const_cast<float*>(base), p.sizes(), torch::kFloat32).clone();
                };
                state->step(3);
                state->exp_avg(slice(expAvg));
                state->exp_avg_sq(slice(expAvgSq));
                torchAdamW.state()[c10::guts::to_string(p.unsafeGetTensorImpl())] = std::move(state);
                offset += p.numel();
            }
        QCOMPARE(offset, expAvg->numel());
        torch::save(torchAdamW, old + "/optimizer.pt");
        fs::remove(old + "/optimizer.safetensors");

        const auto resumed = trainFull(dir.filePath("b").toStdString(), old);
        QCOMPARE(resumed.losses.size(), size_t(3));
        for (size_t i = 0; i < 3; ++i)
            QCOMPARE(resumed.losses[i], full.losses[3 + i]);
        compareCheckpoints(resumed.checkpoints.back(), full.checkpoints.back());
    }
};

QTEST_GUILESS_MAIN(TestFusedAdamW)
#include "tst_fused_adamw.moc"
