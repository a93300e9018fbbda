// One training step against an independent reference: the loss and every
// parameter's gradient on a fixed batch equal a float64 PyTorch
// reimplementation's (tests/fixtures/train_step, made by make_train_step.py),
// and one SGD step through Trainer::run moves each parameter by -lr * that
// gradient, with the batch whole and split into token-weighted micro-batches.
#include "model/language_model.h"
#include "peft/peft_model.h"
#include "train/trainer.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>

using namespace tb;
using nlohmann::json;

namespace {

const std::string kFixtures = std::string(TB_FIXTURES_DIR);

// Float32 forward/backward against float64: observed errors are ~1e-6 (see
// the report in the test output); this leaves an order of magnitude.
constexpr double kTolerance = 1e-5;
// Every element of an update against this build's own float32 gradient of the
// batch in another row order: both sides round, ~5e-6 observed at worst.
constexpr double kElementTolerance = 2e-5;
// A power of two, so lr * grad is exact and the update rounds once; large, so
// that rounding (half an ulp of the weight) is small next to lr * grad.
constexpr double kLearningRate = 4.0;

struct ReferenceGradient {
    std::vector<int64_t> shape;
    double l2 = 0;
    double projection = 0;
    std::vector<int64_t> indices; // empty: `values` is the whole tensor
    std::vector<double> values;
};

struct Reference {
    double loss = 0;
    double gradNorm = 0;
    int64_t targetTokens = 0;
    std::map<std::string, ReferenceGradient> gradients;
};

const json& expected()
{
    static const json j = [] {
        std::ifstream in(kFixtures + "/train_step/expected.json");
        return json::parse(in);
    }();
    return j;
}

std::vector<train::Sequence> batch()
{
    std::vector<train::Sequence> out;
    for (const auto& row : expected().at("batch"))
        out.push_back({row.at("ids").get<std::vector<int64_t>>(), row.at("labels").get<std::vector<int64_t>>()});
    return out;
}

Reference reference(const std::string& model)
{
    for (const auto& c : expected().at("cases")) {
        if (c.at("model") != model)
            continue;
        Reference r;
        r.loss = c.at("loss").get<double>();
        r.gradNorm = c.at("grad_norm").get<double>();
        r.targetTokens = c.at("target_tokens").get<int64_t>();
        for (const auto& [name, g] : c.at("gradients").items()) {
            ReferenceGradient rg;
            rg.shape = g.at("shape").get<std::vector<int64_t>>();
            rg.l2 = g.at("l2").get<double>();
            rg.projection = g.at("projection").get<double>();
            if (g.contains("indices"))
                rg.indices = g.at("indices").get<std::vector<int64_t>>();
            rg.values = g.at("values").get<std::vector<double>>();
            r.gradients[name] = rg;
        }
        return r;
    }
    throw std::runtime_error("expected.json has no case for " + model);
}

std::unique_ptr<peft::PeftModel> fullFineTuning(const std::string& model)
{
    peft::MethodConfig full;
    full.method = peft::Method::Full;
    return std::make_unique<peft::PeftModel>(
        model::LanguageModel::load(kFixtures + "/models/" + model)->module(), full);
}

// Right-padded like the trainer's batches; pads carry label -100.
std::pair<torch::Tensor, torch::Tensor> padded(const std::vector<train::Sequence>& rows)
{
    size_t T = 0;
    for (const auto& r : rows)
        T = std::max(T, r.ids.size());
    auto ids = torch::zeros({static_cast<int64_t>(rows.size()), static_cast<int64_t>(T)}, torch::kLong);
    auto labels = torch::full_like(ids, train::kIgnoreIndex);
    for (size_t b = 0; b < rows.size(); ++b)
        for (size_t t = 0; t < rows[b].ids.size(); ++t) {
            ids[b][t] = rows[b].ids[t];
            labels[b][t] = rows[b].labels[t];
        }
    return {ids, labels};
}

// Largest errors seen, relative to the scale named in compare().
struct MaxErrors {
    double loss = 0, gradNorm = 0, l2 = 0, projection = 0, element = 0;
    QString text() const
    {
        return QString("loss %1, grad norm %2, per-tensor l2 %3, projection %4, element %5")
            .arg(loss).arg(gradNorm).arg(l2).arg(projection).arg(element);
    }
};

double relative(double got, double want, double scale) { return std::abs(got - want) / scale; }

// Compares a gradient (float64, CPU) with its reference summary. Elements are
// measured against max(|reference|, rms of the tensor), so that the many tiny
// entries of a gradient are not held to a relative error they cannot have.
// `slack` is an absolute allowance per element on top of kTolerance (rounding
// of the weights): it enters the scale as slack / kTolerance.
QString compare(const std::string& name, const torch::Tensor& g, const ReferenceGradient& ref, double slack,
                MaxErrors& worst)
{
    if (g.sizes().vec() != ref.shape)
        return QString("%1: shape differs").arg(name.c_str());
    auto flat = g.reshape({-1});
    const int64_t n = flat.numel();
    const double rms = ref.l2 / std::sqrt(static_cast<double>(n));
    const double allowance = slack / kTolerance;
    const double l2Scale = ref.l2 + allowance * std::sqrt(static_cast<double>(n));
    auto weights = torch::arange(1, n + 1, torch::kFloat64).sin();
    const double l2Error = relative(flat.norm().item<double>(), ref.l2, l2Scale);
    // |projection| <= |g| |w| bounds the scale of any error in it.
    const double projError = relative((flat * weights).sum().item<double>(), ref.projection,
                                      l2Scale * weights.norm().item<double>());
    worst.l2 = std::max(worst.l2, l2Error);
    worst.projection = std::max(worst.projection, projError);
    if (l2Error > kTolerance || projError > kTolerance)
        return QString("%1: l2 error %2, projection error %3").arg(name.c_str()).arg(l2Error).arg(projError);
    auto values = flat.accessor<double, 1>();
    for (size_t k = 0; k < ref.values.size(); ++k) {
        const int64_t i = ref.indices.empty() ? static_cast<int64_t>(k) : ref.indices[k];
        const double err = relative(values[i], ref.values[k], std::max(std::abs(ref.values[k]), rms) + allowance);
        worst.element = std::max(worst.element, err);
        if (err > kTolerance)
            return QString("%1[%2]: %3, reference %4").arg(name.c_str()).arg(i).arg(values[i]).arg(ref.values[k]);
    }
    return {};
}

std::set<std::string> names(const peft::PeftModel& m)
{
    std::set<std::string> out;
    for (const auto& [name, p] : m.trainableParameters())
        out.insert(name);
    return out;
}

std::set<std::string> names(const Reference& r)
{
    std::set<std::string> out;
    for (const auto& [name, g] : r.gradients)
        out.insert(name);
    return out;
}

// The gradients of the test's own forward/backward on the whole padded batch.
std::map<std::string, torch::Tensor> gradientsOfOneBackward(const std::string& model)
{
    auto m = fullFineTuning(model);
    m->base()->train();
    auto [ids, labels] = padded(batch());
    train::causalLmLoss(m->forward(ids), labels).first.backward();
    std::map<std::string, torch::Tensor> out;
    for (const auto& [name, p] : m->trainableParameters())
        out[name] = p.grad().to(torch::kFloat64);
    return out;
}

struct LastStep : train::TrainObserver {
    train::StepEvent event;
    void onStep(const train::StepEvent& e) override { event = e; }
};

} // namespace

class TestTrainStep : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void lossAndGradientsMatchTheReference_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("llama_tied") << "llama_tied";
        QTest::newRow("gpt2_prefixed") << "gpt2_prefixed";
    }
    void lossAndGradientsMatchTheReference()
    {
        QFETCH(QString, model);
        const Reference ref = reference(model.toStdString());
        auto m = fullFineTuning(model.toStdString());
        QCOMPARE(names(*m), names(ref));
        m->base()->train();

        auto [ids, labels] = padded(batch());
        auto [loss, count] = train::causalLmLoss(m->forward(ids), labels);
        QCOMPARE(count, ref.targetTokens);
        loss.backward();

        MaxErrors worst;
        worst.loss = relative(loss.item<double>(), ref.loss, ref.loss);
        QVERIFY2(worst.loss < kTolerance, qPrintable(QString("loss %1, reference %2").arg(loss.item<double>()).arg(ref.loss)));
        double squares = 0;
        for (const auto& [name, p] : m->trainableParameters())
            squares += p.grad().to(torch::kFloat64).pow(2).sum().item<double>();
        worst.gradNorm = relative(std::sqrt(squares), ref.gradNorm, ref.gradNorm);
        QVERIFY(worst.gradNorm < kTolerance);
        for (const auto& [name, p] : m->trainableParameters()) {
            const QString failure = compare(name, p.grad().to(torch::kFloat64), ref.gradients.at(name), 0, worst);
            QVERIFY2(failure.isEmpty(), qPrintable(failure));
        }
        qInfo("%s backward, max relative errors: %s", qPrintable(model), qPrintable(worst.text()));
    }

    void oneSgdStepMovesEachWeightByMinusLrTimesGradient_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int64_t>("microBatches");
        QTest::newRow("llama_tied, one batch") << "llama_tied" << int64_t(1);
        QTest::newRow("llama_tied, two micro-batches") << "llama_tied" << int64_t(2);
        QTest::newRow("gpt2_prefixed, one batch") << "gpt2_prefixed" << int64_t(1);
        QTest::newRow("gpt2_prefixed, two micro-batches") << "gpt2_prefixed" << int64_t(2);
    }
    void oneSgdStepMovesEachWeightByMinusLrTimesGradient()
    {
        QFETCH(QString, model);
        QFETCH(int64_t, microBatches);
        const Reference ref = reference(model.toStdString());
        const auto rows = batch();

        train::TrainConfig c;
        c.optimizer = "sgd";
        c.learningRate = kLearningRate;
        c.momentum = 0;
        c.weightDecay = 0;
        c.clipNorm = 0;
        c.schedule = "constant";
        c.warmupSteps = 0;
        c.maxSteps = 1;
        c.gradAccumulation = microBatches;
        c.batchSize = static_cast<int64_t>(rows.size()) / microBatches;
        c.seed = 3;
        // The training set is exactly the reference batch and batchSize x
        // gradAccumulation equals its size, so step 0's micro-batches are
        // positions 0..3 of epoch 0's permutation: every row exactly once
        // (in permuted order, which a mean over tokens does not see).
        std::set<size_t> seen;
        std::vector<std::vector<train::Sequence>> microRows(static_cast<size_t>(microBatches));
        for (int64_t micro = 0; micro < microBatches; ++micro)
            for (size_t i : train::microBatchIndices(rows.size(), c, micro)) {
                seen.insert(i);
                microRows[static_cast<size_t>(micro)].push_back(rows[i]);
            }
        QCOMPARE(seen.size(), rows.size());
        if (microBatches == 2) {
            // The case can tell: an unweighted mean of the micro-batch losses
            // (their target counts differ) is far from the batch's token mean.
            auto m = fullFineTuning(model.toStdString());
            torch::NoGradGuard noGrad;
            double meanOfMeans = 0;
            for (const auto& part : microRows) {
                auto [ids, labels] = padded(part);
                meanOfMeans += train::causalLmLoss(m->forward(ids), labels).first.item<double>() / 2;
            }
            QVERIFY2(relative(meanOfMeans, ref.loss, ref.loss) > 100 * kTolerance, qPrintable(QString::number(meanOfMeans)));
        }

        auto m = fullFineTuning(model.toStdString());
        std::map<std::string, torch::Tensor> before;
        for (const auto& [name, p] : m->trainableParameters())
            before[name] = p.detach().clone();
        train::Trainer trainer(*m, c, rows, {}, "");
        LastStep observer;
        RunControl control;
        const auto result = trainer.run(observer, control);
        QVERIFY2(result.status == train::TrainStatus::Completed, result.error.c_str());
        QCOMPARE(result.steps, int64_t(1));

        // Every element, against the gradient checked by lossAndGradientsMatchTheReference.
        const auto grads = gradientsOfOneBackward(model.toStdString());
        double worstElement = 0;
        MaxErrors worst;
        worst.loss = relative(observer.event.loss, ref.loss, ref.loss);
        worst.gradNorm = relative(observer.event.gradNorm, ref.gradNorm, ref.gradNorm);
        QVERIFY2(worst.loss < kTolerance, qPrintable(QString("loss %1, reference %2").arg(observer.event.loss).arg(ref.loss)));
        QVERIFY2(worst.gradNorm < kTolerance,
                 qPrintable(QString("grad norm %1, reference %2").arg(observer.event.gradNorm).arg(ref.gradNorm)));
        for (const auto& [name, p] : m->trainableParameters()) {
            const auto p0 = before.at(name).to(torch::kFloat64);
            const auto p1 = p.detach().to(torch::kFloat64);
            // The update as a gradient: (p0 - p1) / lr. The new weight is
            // rounded to float32 once: half an ulp (2^-24 relative) of the
            // largest weight, divided by lr, is the allowance per element.
            const double ulpSlack = std::ldexp(std::max(p0.abs().max().item<double>(), p1.abs().max().item<double>()), -24);
            const QString failure =
                compare(name, (p0 - p1) / kLearningRate, ref.gradients.at(name), ulpSlack / kLearningRate, worst);
            QVERIFY2(failure.isEmpty(), qPrintable(failure));

            const auto& g = grads.at(name);
            const double rms = g.norm().item<double>() / std::sqrt(static_cast<double>(g.numel()));
            const auto scale = g.abs().clamp_min(rms) + ulpSlack / kLearningRate / kElementTolerance;
            const double err = (((p0 - p1) / kLearningRate - g).abs() / scale).max().item<double>();
            worstElement = std::max(worstElement, err);
            QVERIFY2(err < kElementTolerance, qPrintable(QString("%1: update differs from -lr * grad by %2 (relative)")
                                                      .arg(name.c_str()).arg(err)));
        }
        qInfo("%s, %lld micro-batch(es), every element vs this build's gradient: %g", qPrintable(model),
              static_cast<long long>(microBatches), worstElement);
        qInfo("%s, %lld micro-batch(es), max relative errors: %s", qPrintable(model),
              static_cast<long long>(microBatches), qPrintable(worst.text()));
    }
};

QTEST_GUILESS_MAIN(TestTrainStep)
#include "tst_train_step.moc"
