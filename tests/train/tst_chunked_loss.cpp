// The chunked cross-entropy (train/chunked_loss.h) against LibTorch's plain
// cross_entropy over full logits: loss and gradients w.r.t. the hidden states
// and the head weight for random inputs with ignored labels and chunk sizes
// that do and do not divide the rows; the causal-LM losses from hidden states
// equal those from logits on real tiny models; and a Trainer run's loss curve
// equals a plain loop written here over full logits.
#include "common/run_control.h"
#include "model/language_model.h"
#include "peft/peft_model.h"
#include "train/chunked_loss.h"
#include "train/trainer.h"

#include <QtTest>

#include <cmath>

using namespace tb;
namespace F = torch::nn::functional;

namespace {

const std::string kModels = std::string(TB_FIXTURES_DIR) + "/models/";
// f32 throughout; the two sides sum in different orders.
constexpr double kTolerance = 1e-5;

double maxDiff(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

struct Inputs {
    torch::Tensor hidden, weight, targets;
};

// N rows of width C against a vocabulary of V, about a quarter of the targets -100.
Inputs randomInputs(int64_t N, int64_t C, int64_t V, uint64_t seed)
{
    torch::manual_seed(seed);
    Inputs in;
    in.hidden = torch::randn({N, C});
    in.weight = torch::randn({V, C}) * 0.5;
    in.targets = torch::randint(V, {N}, torch::kLong);
    in.targets.masked_fill_(torch::rand({N}) < 0.25, train::kIgnoreIndex);
    return in;
}

// Sum of cross_entropy over full logits, the way the loss was computed before.
torch::Tensor plainSum(const torch::Tensor& h, const torch::Tensor& w, const torch::Tensor& targets)
{
    return F::cross_entropy(torch::matmul(h, w.t()), targets,
                            F::CrossEntropyFuncOptions().ignore_index(train::kIgnoreIndex).reduction(torch::kSum));
}

std::vector<train::Sequence> corpus(int n)
{
    std::vector<train::Sequence> out;
    for (int i = 0; i < n; ++i) {
        train::Sequence s;
        const int length = 7 + i % 5; // batches with padding
        for (int t = 0; t < length; ++t)
            s.ids.push_back(3 + (i * 7 + t * ((i % 3) + 1)) % 60);
        s.labels = s.ids;
        s.labels[0] = train::kIgnoreIndex;
        s.labels[2] = train::kIgnoreIndex;
        out.push_back(s);
    }
    return out;
}

struct Losses : train::TrainObserver {
    std::vector<double> losses;
    void onStep(const train::StepEvent& e) override { losses.push_back(e.loss); }
};

} // namespace

class TestChunkedLoss : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void lossAndGradientsEqualFullLogits_data()
    {
        QTest::addColumn<int>("chunk");
        QTest::newRow("1 row") << 1;
        QTest::newRow("7 rows (does not divide 53)") << 7;
        QTest::newRow("16 rows") << 16;
        QTest::newRow("53 rows (all)") << 53;
        QTest::newRow("4096 rows (more than all)") << 4096;
        QTest::newRow("default") << 0;
    }
    void lossAndGradientsEqualFullLogits()
    {
        QFETCH(int, chunk);
        const auto in = randomInputs(53, 24, 41, 5);
        QVERIFY((in.targets == train::kIgnoreIndex).any().item<bool>());
        auto h1 = in.hidden.clone().requires_grad_(true), w1 = in.weight.clone().requires_grad_(true);
        auto h2 = in.hidden.clone().requires_grad_(true), w2 = in.weight.clone().requires_grad_(true);
        auto chunked = train::chunkedCrossEntropySum(h1, w1, in.targets, chunk);
        auto plain = plainSum(h2, w2, in.targets);
        QVERIFY2(std::abs(chunked.item<double>() - plain.item<double>()) < kTolerance * std::abs(plain.item<double>()),
                 qPrintable(QString("%1 vs %2").arg(chunked.item<double>()).arg(plain.item<double>())));
        // A non-unit upstream gradient, as the trainer's token weighting gives.
        (chunked * 0.37).backward();
        (plain * 0.37).backward();
        QVERIFY2(maxDiff(h1.grad(), h2.grad()) < kTolerance, qPrintable(QString::number(maxDiff(h1.grad(), h2.grad()))));
        QVERIFY2(maxDiff(w1.grad(), w2.grad()) < kTolerance, qPrintable(QString::number(maxDiff(w1.grad(), w2.grad()))));
        // Ignored rows get no gradient at all.
        const auto ignored = (in.targets == train::kIgnoreIndex).nonzero().squeeze(1);
        QCOMPARE(h1.grad().index_select(0, ignored).abs().sum().item<double>(), 0.0);
    }

    void frozenWeightGetsNoGradient()
    {
        const auto in = randomInputs(20, 8, 13, 6);
        auto h = in.hidden.clone().requires_grad_(true);
        auto w = in.weight.clone(); // LoRA: the head is frozen
        train::chunkedCrossEntropySum(h, w, in.targets, 3).backward();
        auto h2 = in.hidden.clone().requires_grad_(true);
        plainSum(h2, w, in.targets).backward();
        QVERIFY(!w.grad().defined());
        QVERIFY(maxDiff(h.grad(), h2.grad()) < kTolerance);
    }

    void noGradientModeGivesTheLossOnly()
    {
        const auto in = randomInputs(10, 8, 11, 7);
        torch::NoGradGuard noGrad;
        auto h = in.hidden.clone().requires_grad_(true);
        auto loss = train::chunkedCrossEntropySum(h, in.weight, in.targets, 4);
        QVERIFY(!loss.requires_grad());
        QVERIFY(std::abs(loss.item<double>() - plainSum(in.hidden, in.weight, in.targets).item<double>()) < 1e-4);
    }

    void everyTargetIgnoredGivesZero()
    {
        auto in = randomInputs(6, 4, 5, 8);
        in.targets.fill_(train::kIgnoreIndex);
        auto h = in.hidden.clone().requires_grad_(true);
        auto loss = train::chunkedCrossEntropySum(h, in.weight, in.targets, 4);
        QCOMPARE(loss.item<double>(), 0.0);
        loss.backward();
        QCOMPARE(h.grad().abs().sum().item<double>(), 0.0);
    }

    void rowsEqualPerTokenCrossEntropy()
    {
        const auto in = randomInputs(31, 16, 29, 9);
        const auto rows = train::chunkedCrossEntropyRows(in.hidden, in.weight, in.targets, 5);
        const auto plain = F::cross_entropy(torch::matmul(in.hidden, in.weight.t()), in.targets,
                                            F::CrossEntropyFuncOptions().ignore_index(train::kIgnoreIndex).reduction(torch::kNone));
        QVERIFY(maxDiff(rows, plain) < kTolerance);
    }

    // From a real model's hidden states and head: the same mean loss, count,
    // per-row sums and parameter gradients as from its logits.
    void causalLmLossFromHiddenEqualsFromLogits_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("gpt2 tied") << "gpt2_plain";
        QTest::newRow("llama untied") << "llama_gqa";
        QTest::newRow("qwen2") << "qwen2_tiny";
    }
    void causalLmLossFromHiddenEqualsFromLogits()
    {
        QFETCH(QString, model);
        auto base = model::LanguageModel::load(kModels + model.toStdString())->module();
        peft::MethodConfig full;
        full.method = peft::Method::Full;
        peft::PeftModel m(base, full);
        base->train();
        auto ids = torch::randint(3, 60, {3, 9}, torch::kLong);
        auto labels = ids.clone();
        labels.index_put_({0, 0}, train::kIgnoreIndex);
        labels.index_put_({1, torch::indexing::Slice(5)}, train::kIgnoreIndex); // padding

        auto [plain, plainCount] = train::causalLmLoss(m.forward(ids), labels);
        plain.backward();
        std::vector<torch::Tensor> plainGrads;
        for (auto& [name, p] : m.trainableParameters()) {
            plainGrads.push_back(p.grad().clone());
            p.mutable_grad().zero_();
        }
        train::LmOutput out;
        out.head = base->headWeight();
        QVERIFY(out.head.defined());
        {
            model::HiddenStatesScope hidden(*base);
            out.states = m.forward(ids);
        }
        QCOMPARE(out.states.size(-1), base->config().hiddenSize);
        auto [chunked, count] = train::causalLmLoss(out, labels);
        QCOMPARE(count, plainCount);
        QVERIFY(std::abs(chunked.item<double>() - plain.item<double>()) < kTolerance);
        chunked.backward();
        size_t i = 0;
        for (auto& [name, p] : m.trainableParameters()) {
            const double d = maxDiff(p.grad(), plainGrads[i++]);
            QVERIFY2(d < kTolerance, qPrintable(QString::fromStdString(name) + ": " + QString::number(d)));
        }

        torch::NoGradGuard noGrad;
        auto [sums, counts] = train::rowLossSums(out, labels);
        auto [plainSums, plainCounts] = train::rowLossSums(m.forward(ids), labels);
        QVERIFY(maxDiff(sums, plainSums) < kTolerance);
        QVERIFY(torch::equal(counts, plainCounts));
    }

    // Trainer (chunked loss) against a loop over full logits written here:
    // full fine-tuning of a tied model (the head weight is also the embedding),
    // plain SGD, padded batches; the per-step losses agree.
    void trainerLossCurveEqualsPlainLoop()
    {
        const auto data = corpus(12);
        train::TrainConfig c;
        c.maxSteps = 6;
        c.batchSize = 3;
        c.optimizer = "sgd";
        c.momentum = 0.0;
        c.learningRate = 0.5;
        c.schedule = "constant";
        c.warmupSteps = 0;
        c.clipNorm = 0.0;
        c.precision = "f32";
        c.seed = 4;
        peft::MethodConfig full;
        full.method = peft::Method::Full;

        peft::PeftModel trained(model::LanguageModel::load(kModels + "gpt2_plain")->module(), full);
        train::Trainer trainer(trained, c, data, {}, "");
        Losses rec;
        RunControl control;
        QCOMPARE(trainer.run(rec, control).status, train::TrainStatus::Completed);

        peft::PeftModel ref(model::LanguageModel::load(kModels + "gpt2_plain")->module(), full);
        ref.base()->train();
        std::vector<double> expected;
        for (int64_t step = 0; step < c.maxSteps; ++step) {
            const auto idx = train::microBatchIndices(data.size(), c, step);
            size_t longest = 0;
            for (size_t i : idx)
                longest = std::max(longest, data[i].ids.size());
            auto ids = torch::zeros({int64_t(idx.size()), int64_t(longest)}, torch::kLong);
            auto labels = torch::full_like(ids, train::kIgnoreIndex);
            for (size_t r = 0; r < idx.size(); ++r)
                for (size_t t = 0; t < data[idx[r]].ids.size(); ++t) {
                    ids.index_put_({int64_t(r), int64_t(t)}, data[idx[r]].ids[t]);
                    labels.index_put_({int64_t(r), int64_t(t)}, data[idx[r]].labels[t]);
                }
            for (auto& [name, p] : ref.trainableParameters())
                if (p.grad().defined())
                    p.mutable_grad().zero_();
            auto logits = ref.forward(ids).index({torch::indexing::Slice(), torch::indexing::Slice(0, -1)});
            auto loss = F::cross_entropy(logits.reshape({-1, logits.size(-1)}),
                                         labels.index({torch::indexing::Slice(), torch::indexing::Slice(1)}).reshape({-1}),
                                         F::CrossEntropyFuncOptions().ignore_index(train::kIgnoreIndex));
            expected.push_back(loss.item<double>());
            loss.backward();
            torch::NoGradGuard noGrad;
            for (auto& [name, p] : ref.trainableParameters())
                p.sub_(p.grad() * c.learningRate);
        }
        QCOMPARE(rec.losses.size(), expected.size());
        for (size_t s = 0; s < expected.size(); ++s)
            QVERIFY2(std::abs(rec.losses[s] - expected[s]) < kTolerance,
                     qPrintable(QString("step %1: %2 vs %3").arg(s + 1).arg(rec.losses[s]).arg(expected[s])));
        QVERIFY(expected.back() < expected.front() - 0.1); // it learned: the comparison is not of constants
    }
};

QTEST_MAIN(TestChunkedLoss)
#include "tst_chunked_loss.moc"
