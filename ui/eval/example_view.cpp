#include "ui/eval/example_view.h"

#include "store/run_store.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include <map>

namespace tb::ui {

namespace {

// {"rougeL":0.5,"bleu":12} -> "rougeL 0.5 · bleu 12", headline metrics first.
QString formatScores(const std::string& json)
{
    std::map<QString, double> values;
    try {
        const auto j = nlohmann::json::parse(json);
        for (const auto& [key, value] : j.items())
            if (value.is_number())
                values[QString::fromStdString(key)] = value.get<double>();
    } catch (const nlohmann::json::exception&) {
        return QString::fromStdString(json);
    }
    QStringList names;
    for (const auto& [name, value] : values)
        names << name;
    QStringList parts;
    for (const QString& name : metricOrder(names))
        parts << QStringLiteral("%1 %2").arg(name, QString::number(values[name], 'g', 4));
    return parts.join(QStringLiteral(" · "));
}

QTableWidgetItem* textItem(const QString& text)
{
    auto* item = new QTableWidgetItem(text);
    item->setToolTip(text);
    item->setTextAlignment(Qt::AlignLeft | Qt::AlignTop);
    return item;
}

} // namespace

ExampleView::ExampleView(QString dbPath, QWidget* parent) : QWidget(parent), m_dbPath(std::move(dbPath))
{
    m_task = new QComboBox;
    m_task->setObjectName("exampleTask");
    m_summary = new QLabel;
    m_table = new QTableWidget;
    m_table->setObjectName("exampleTable");
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setWordWrap(true);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->horizontalHeader()->setDefaultSectionSize(260);

    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Task:")));
    top->addWidget(m_task, 1);
    top->addWidget(m_summary, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_table, 1);

    connect(m_task, &QComboBox::currentTextChanged, this, &ExampleView::refresh);
}

void ExampleView::setScores(const SuiteScores& scores)
{
    const QString keep = task();
    m_scores = scores;
    {
        const QSignalBlocker block(m_task);
        m_task->clear();
        m_task->addItems(scores.tasks);
        const int at = m_task->findText(keep);
        m_task->setCurrentIndex(at >= 0 ? at : (scores.tasks.isEmpty() ? -1 : 0));
    }
    refresh();
}

QString ExampleView::task() const { return m_task->currentText(); }

void ExampleView::setTask(const QString& task)
{
    const int at = m_task->findText(task);
    if (at >= 0)
        m_task->setCurrentIndex(at);
}

void ExampleView::refresh()
{
    const QString task = this->task();
    const size_t models = m_scores.models.size();
    struct Row {
        QString prompt, reference;
        std::vector<QString> outputs, scores;
    };
    std::vector<QString> order; // example ids, in the first model's order
    std::map<QString, Row> rows;
    int evaluated = 0;
    if (!task.isEmpty()) {
        try {
            store::RunStore db(m_dbPath.toStdString());
            for (size_t m = 0; m < models; ++m) {
                const TaskScores* s = m_scores.find(m, task);
                if (!s)
                    continue;
                ++evaluated;
                for (const auto& g : db.taskGenerations(s->taskEvaluation)) {
                    const QString id = QString::fromStdString(g.exampleId);
                    auto [it, added] = rows.try_emplace(id);
                    Row& row = it->second;
                    if (added) {
                        order.push_back(id);
                        row.prompt = QString::fromStdString(g.prompt);
                        row.reference = QString::fromStdString(g.reference);
                        row.outputs.resize(models);
                        row.scores.resize(models);
                    }
                    row.outputs[m] = QString::fromStdString(g.output);
                    row.scores[m] = formatScores(g.scoresJson);
                }
            }
        } catch (const std::exception& e) {
            QMessageBox::warning(this, tr("Run store"), QString::fromStdString(e.what()));
        }
    }

    QStringList headers{tr("Example"), tr("Prompt"), tr("Reference")};
    for (const auto& model : m_scores.models)
        headers << tr("%1: output").arg(model.label) << tr("%1: scores").arg(model.label);
    m_table->clear();
    m_table->setColumnCount(int(headers.size()));
    m_table->setHorizontalHeaderLabels(headers);
    m_table->setRowCount(int(order.size()));
    for (int r = 0; r < int(order.size()); ++r) {
        const Row& row = rows[order[size_t(r)]];
        m_table->setItem(r, 0, textItem(order[size_t(r)]));
        m_table->setItem(r, 1, textItem(row.prompt));
        m_table->setItem(r, 2, textItem(row.reference));
        for (size_t m = 0; m < models; ++m) {
            m_table->setItem(r, 3 + 2 * int(m), textItem(row.outputs[m]));
            m_table->setItem(r, 4 + 2 * int(m), textItem(row.scores[m]));
        }
    }
    m_table->setColumnWidth(0, 80);
    m_summary->setText(task.isEmpty() ? tr("No task evaluated yet.")
                                      : tr("%n example(s)", nullptr, int(order.size())) + QStringLiteral(" · ")
                                            + tr("%1 of %2 models evaluated").arg(evaluated).arg(models));
}

ExampleDialog::ExampleDialog(const QString& dbPath, const SuiteScores& scores, const QString& task, QWidget* parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Examples of %1 (%2)").arg(task, scores.suite));
    setAttribute(Qt::WA_DeleteOnClose);
    m_view = new ExampleView(dbPath, this);
    m_view->setScores(scores);
    m_view->setTask(task);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_view, 1);
    layout->addWidget(buttons);
    resize(1100, 600);
}

} // namespace tb::ui
