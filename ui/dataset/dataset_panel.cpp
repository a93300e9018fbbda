#include "dataset/dataset_panel.h"

#include "data/mixing.h"
#include "data/stats.h"
#include "data/template.h"
#include "data/tokenized.h"
#include "dataset/preview_model.h"
#include "tokenizer/tokenizer.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedBarSeries>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTextCursor>
#include <QTextEdit>
#include <QUrl>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <set>

namespace tb::ui {

namespace {

// Names core's readers understand (data::ReadOptions::fieldMap targets).
const QStringList kTargets = {"prompt", "response", "instruction", "input", "output",
                              "text", "task", "messages", "completion"};
const QString kIgnore = QStringLiteral("ignore");
constexpr size_t kBinCount = 20;

QString qs(const std::string& s) { return QString::fromStdString(s); }

QString messagesText(const data::Record& r)
{
    QStringList turns;
    for (const auto& m : r.messages)
        turns << qs(m.role) + QStringLiteral(": ") + qs(m.content);
    return turns.join(QLatin1Char('\n'));
}

QTableWidgetItem* item(const QString& text)
{
    auto* it = new QTableWidgetItem(text);
    it->setFlags(it->flags() & ~Qt::ItemIsEditable);
    return it;
}

QTableWidgetItem* numberItem(qlonglong n)
{
    auto* it = new QTableWidgetItem;
    it->setData(Qt::DisplayRole, n);
    it->setFlags(it->flags() & ~Qt::ItemIsEditable);
    return it;
}

QTableWidget* makeTable(const QStringList& headers, const char* name)
{
    auto* t = new QTableWidget(0, int(headers.size()));
    t->setObjectName(QLatin1String(name));
    t->setHorizontalHeaderLabels(headers);
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setSelectionMode(QAbstractItemView::SingleSelection);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->horizontalHeader()->setStretchLastSection(true);
    t->verticalHeader()->setVisible(false);
    return t;
}

QStringList localFiles(const QMimeData* mime)
{
    QStringList out;
    if (!mime || !mime->hasUrls())
        return out;
    for (const QUrl& url : mime->urls()) {
        if (url.isLocalFile())
            out << url.toLocalFile();
    }
    return out;
}

} // namespace

DatasetPanel::DatasetPanel(QWidget* parent) : QWidget(parent)
{
    setAcceptDrops(true);

    // Files.
    auto* addButton = new QPushButton(tr("&Add files…"));
    addButton->setObjectName("addFilesButton");
    auto* clearButton = new QPushButton(tr("C&lear"));
    m_fileTable = makeTable({tr("File"), tr("Format"), tr("Records"), tr("Problems"), tr("Shape"), tr("Tasks")},
                            "fileTable");
    m_fileTable->setToolTip(tr("Drop JSONL, JSON or CSV files here. Each file is a task unless its records "
                               "name their own task."));
    auto* fileButtons = new QHBoxLayout;
    fileButtons->addWidget(new QLabel(tr("Dataset files (drop them here):")), 1);
    fileButtons->addWidget(addButton);
    fileButtons->addWidget(clearButton);
    auto* fileBox = new QWidget;
    auto* fileLayout = new QVBoxLayout(fileBox);
    fileLayout->setContentsMargins(0, 0, 0, 0);
    fileLayout->addLayout(fileButtons);
    fileLayout->addWidget(m_fileTable);

    // Field mapping.
    m_fieldTable = makeTable({tr("Source field"), tr("Tunebench field")}, "fieldTable");
    m_fieldTable->setSelectionMode(QAbstractItemView::NoSelection);
    auto* fieldBox = new QWidget;
    auto* fieldLayout = new QVBoxLayout(fieldBox);
    fieldLayout->setContentsMargins(0, 0, 0, 0);
    fieldLayout->addWidget(new QLabel(tr("Field mapping:")));
    fieldLayout->addWidget(m_fieldTable);

    // Settings: template, tokenizer, max length.
    m_template = new QComboBox;
    m_template->setObjectName("templateCombo");
    m_template->addItem(tr("Alpaca"), QStringLiteral("alpaca"));
    m_template->addItem(tr("ChatML"), QStringLiteral("chatml"));
    m_template->addItem(tr("Plain"), QStringLiteral("plain"));
    m_template->setToolTip(tr("How each record becomes training text; the loss goes on the response"));
    m_tokenizerEdit = new QLineEdit;
    m_tokenizerEdit->setObjectName("tokenizerEdit");
    m_tokenizerEdit->setPlaceholderText(tr("Model or tokenizer folder, for token lengths"));
    auto* browse = new QPushButton(tr("&Browse…"));
    m_maxLength = new QSpinBox;
    m_maxLength->setObjectName("maxLengthSpin");
    m_maxLength->setRange(1, 1 << 20);
    m_maxLength->setValue(static_cast<int>(train::DataConfig{}.maxLength));
    m_maxLength->setToolTip(tr("Examples longer than this many tokens are truncated"));
    auto* settings = new QHBoxLayout;
    auto* templateLabel = new QLabel(tr("&Template:"));
    templateLabel->setBuddy(m_template);
    settings->addWidget(templateLabel);
    settings->addWidget(m_template);
    settings->addWidget(new QLabel(tr("Tokenizer:")));
    settings->addWidget(m_tokenizerEdit, 1);
    settings->addWidget(browse);
    auto* maxLabel = new QLabel(tr("&Max length:"));
    maxLabel->setBuddy(m_maxLength);
    settings->addWidget(maxLabel);
    settings->addWidget(m_maxLength);

    m_message = new QLabel;
    m_message->setObjectName("messageLabel");
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->setStyleSheet(QStringLiteral("color: #c62828"));
    m_message->hide();

    // Preview.
    m_model = new PreviewModel(this);
    m_preview = new QTableView;
    m_preview->setObjectName("previewView");
    m_preview->setModel(m_model);
    m_preview->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_preview->setSelectionMode(QAbstractItemView::SingleSelection);
    m_preview->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_preview->horizontalHeader()->setStretchLastSection(true);
    m_prev = new QPushButton(tr("◀ &Previous"));
    m_prev->setObjectName("previousPageButton");
    m_next = new QPushButton(tr("&Next ▶"));
    m_next->setObjectName("nextPageButton");
    m_pageLabel = new QLabel;
    m_pageLabel->setObjectName("pageLabel");
    auto* pager = new QHBoxLayout;
    pager->addWidget(m_prev);
    pager->addWidget(m_pageLabel, 1, Qt::AlignCenter);
    pager->addWidget(m_next);
    auto* previewTab = new QWidget;
    auto* previewLayout = new QVBoxLayout(previewTab);
    previewLayout->addWidget(m_preview);
    previewLayout->addLayout(pager);

    // Template.
    m_templateSource = new QLabel;
    m_rendered = new QTextEdit;
    m_rendered->setObjectName("templateView");
    m_rendered->setReadOnly(true);
    m_rendered->setLineWrapMode(QTextEdit::WidgetWidth);
    auto* templateTab = new QWidget;
    auto* templateLayout = new QVBoxLayout(templateTab);
    templateLayout->addWidget(m_templateSource);
    templateLayout->addWidget(m_rendered);
    templateLayout->addWidget(new QLabel(tr("Highlighted: the response, where the loss is taken.")));

    // Tasks.
    m_taskTable = makeTable({tr("Task"), tr("Records"), tr("Share")}, "taskTable");
    m_taskTable->setSortingEnabled(true);

    // Token lengths.
    m_chart = new QChart;
    m_chart->setTitle(tr("Token lengths"));
    auto* chartView = new QChartView(m_chart);
    chartView->setObjectName("lengthChart");
    chartView->setRenderHint(QPainter::Antialiasing);
    chartView->setMinimumHeight(220);
    m_truncatedLabel = new QLabel;
    m_truncatedLabel->setObjectName("truncatedLabel");
    auto* lengthTab = new QWidget;
    auto* lengthLayout = new QVBoxLayout(lengthTab);
    lengthLayout->addWidget(chartView, 1);
    lengthLayout->addWidget(m_truncatedLabel);

    // Problems.
    m_issueTable = makeTable({tr("File"), tr("Line"), tr("Field"), tr("Problem")}, "issueTable");
    m_issueTable->setToolTip(tr("Double-click a problem to see its record in the preview"));

    m_tabs = new QTabWidget;
    m_tabs->setObjectName("datasetTabs");
    m_tabs->addTab(previewTab, tr("Pre&view"));
    m_tabs->addTab(templateTab, tr("Te&mplate"));
    m_tabs->addTab(m_taskTable, tr("Tas&ks"));
    m_tabs->addTab(lengthTab, tr("Token &lengths"));
    m_tabs->addTab(m_issueTable, tr("Pro&blems"));

    auto* top = new QSplitter(Qt::Horizontal);
    top->addWidget(fileBox);
    top->addWidget(fieldBox);
    top->setStretchFactor(0, 3);
    top->setStretchFactor(1, 1);
    auto* vertical = new QSplitter(Qt::Vertical);
    vertical->addWidget(top);
    vertical->addWidget(m_tabs);
    vertical->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(settings);
    layout->addWidget(m_message);
    layout->addWidget(vertical, 1);

    connect(addButton, &QPushButton::clicked, this, &DatasetPanel::chooseFiles);
    connect(clearButton, &QPushButton::clicked, this, &DatasetPanel::clearFiles);
    connect(browse, &QPushButton::clicked, this, &DatasetPanel::chooseTokenizer);
    connect(m_tokenizerEdit, &QLineEdit::editingFinished, this, [this] {
        if (m_tokenizerEdit->text() != m_tokenizerPath)
            setTokenizerPath(m_tokenizerEdit->text());
    });
    connect(m_template, &QComboBox::currentIndexChanged, this, [this] {
        refreshTemplate();
        computeLengths();
        refreshHistogram();
        Q_EMIT dataConfigChanged();
    });
    connect(m_maxLength, &QSpinBox::valueChanged, this, [this] {
        refreshHistogram();
        Q_EMIT dataConfigChanged();
    });
    connect(m_prev, &QPushButton::clicked, this, &DatasetPanel::previousPage);
    connect(m_next, &QPushButton::clicked, this, &DatasetPanel::nextPage);
    connect(m_model, &PreviewModel::pageChanged, this, &DatasetPanel::updatePageControls);
    connect(m_preview->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &DatasetPanel::refreshTemplate);
    connect(m_issueTable, &QTableWidget::cellDoubleClicked, this, [this](int row, int) { jumpToIssue(row); });
    reload();
}

DatasetPanel::~DatasetPanel() = default;

// --- Files -----------------------------------------------------------------

void DatasetPanel::addFiles(const QStringList& paths)
{
    bool added = false;
    for (const QString& p : paths) {
        const QString path = QFileInfo(p).absoluteFilePath();
        const bool known =
            std::any_of(m_files.begin(), m_files.end(), [&](const LoadedFile& f) { return f.path == path; });
        if (!known && !p.isEmpty()) {
            m_files.push_back({path, {}});
            added = true;
        }
    }
    if (added)
        reload();
}

void DatasetPanel::clearFiles()
{
    m_files.clear();
    m_sourceFields.clear();
    reload();
}

QStringList DatasetPanel::files() const
{
    QStringList out;
    for (const auto& f : m_files)
        out << f.path;
    return out;
}

int DatasetPanel::recordCount() const
{
    size_t n = 0;
    for (const auto& f : m_files)
        n += f.result.records.size();
    return static_cast<int>(n);
}

void DatasetPanel::chooseFiles()
{
    const QStringList paths = QFileDialog::getOpenFileNames(
        this, tr("Import dataset files"), {},
        tr("Datasets (*.jsonl *.ndjson *.json *.csv);;All files (*)"));
    addFiles(paths);
}

void DatasetPanel::dragEnterEvent(QDragEnterEvent* event)
{
    if (!localFiles(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void DatasetPanel::dragMoveEvent(QDragMoveEvent* event)
{
    if (!localFiles(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void DatasetPanel::dropEvent(QDropEvent* event)
{
    const QStringList paths = localFiles(event->mimeData());
    if (paths.isEmpty())
        return;
    event->acceptProposedAction();
    addFiles(paths);
}

// --- Field mapping -----------------------------------------------------------

QString DatasetPanel::fieldMapping(const QString& sourceField) const { return m_choice.value(sourceField); }

void DatasetPanel::setFieldMapping(const QString& sourceField, const QString& target)
{
    if (!m_choice.contains(sourceField) || m_choice.value(sourceField) == target)
        return;
    if (target != kIgnore && !kTargets.contains(target))
        return;
    m_choice[sourceField] = target;
    if (QComboBox* combo = fieldCombo(sourceField)) {
        const QSignalBlocker block(combo);
        combo->setCurrentIndex(combo->findData(target));
    }
    reload();
}

QComboBox* DatasetPanel::fieldCombo(const QString& sourceField) const
{
    for (int row = 0; row < m_fieldTable->rowCount(); ++row) {
        if (m_fieldTable->item(row, 0) && m_fieldTable->item(row, 0)->text() == sourceField)
            return qobject_cast<QComboBox*>(m_fieldTable->cellWidget(row, 1));
    }
    return nullptr;
}

// The choices in core's terms: a field chosen as itself needs no entry; a
// field core would read by its own name but that is ignored maps to "ignore".
std::map<std::string, std::string> DatasetPanel::coreFieldMap() const
{
    std::map<std::string, std::string> map;
    for (auto it = m_choice.begin(); it != m_choice.end(); ++it) {
        const QString& source = it.key();
        const QString& target = it.value();
        if (target == source)
            continue;
        if (target == kIgnore && !kTargets.contains(source))
            continue;
        map[source.toStdString()] = target.toStdString();
    }
    return map;
}

void DatasetPanel::rebuildFieldTable()
{
    m_fieldTable->setRowCount(0);
    m_fieldTable->setRowCount(int(m_sourceFields.size()));
    for (int row = 0; row < m_sourceFields.size(); ++row) {
        const QString source = m_sourceFields[row];
        m_fieldTable->setItem(row, 0, item(source));
        auto* combo = new QComboBox;
        combo->setObjectName(QStringLiteral("fieldCombo_") + source);
        for (const QString& t : kTargets)
            combo->addItem(t, t);
        combo->addItem(tr("(ignore)"), kIgnore);
        combo->setCurrentIndex(combo->findData(m_choice.value(source)));
        connect(combo, &QComboBox::currentIndexChanged, this,
                [this, source, combo] { setFieldMapping(source, combo->currentData().toString()); });
        m_fieldTable->setCellWidget(row, 1, combo);
    }
}

// --- Reading -------------------------------------------------------------

void DatasetPanel::reload()
{
    showMessage({});
    data::ReadOptions options;
    options.fieldMap = coreFieldMap();
    QStringList fields;
    for (auto& f : m_files) {
        try {
            f.result = data::validateDataset(f.path.toStdString(), options);
        } catch (const std::exception& e) { // validate reports problems itself; this is the unforeseen
            f.result = {};
            f.result.issues.push_back({f.path.toStdString(), 0, {}, e.what()});
        }
        for (const auto& name : f.result.fields) {
            if (!fields.contains(qs(name)))
                fields << qs(name);
        }
    }
    // Fields keep their choice; a new one starts as itself when core knows
    // the name, else ignored.
    for (const QString& name : fields) {
        if (!m_choice.contains(name))
            m_choice[name] = kTargets.contains(name) ? name : kIgnore;
    }
    // The combo that changed a mapping must survive its own signal: rebuild
    // only when the set of fields changes (mapping never changes it).
    if (fields != m_sourceFields) {
        m_sourceFields = fields;
        rebuildFieldTable();
    }
    refreshFiles();
    refreshPreview();
    refreshTasks();
    refreshIssues();
    refreshTemplate();
    computeLengths();
    refreshHistogram();
    Q_EMIT dataConfigChanged();
}

void DatasetPanel::refreshFiles()
{
    m_fileTable->setRowCount(int(m_files.size()));
    for (int row = 0; row < int(m_files.size()); ++row) {
        const auto& f = m_files[size_t(row)];
        std::set<std::string> shapes;
        std::set<std::string> tasks;
        for (const auto& r : f.result.records) {
            shapes.insert(data::shapeName(r.shape));
            tasks.insert(r.task);
        }
        QStringList shapeList, taskList;
        for (const auto& s : shapes)
            shapeList << qs(s);
        for (const auto& t : tasks)
            taskList << qs(t);
        auto* name = item(QFileInfo(f.path).fileName());
        name->setToolTip(f.path);
        m_fileTable->setItem(row, 0, name);
        m_fileTable->setItem(row, 1, item(f.result.format == data::FileFormat::Auto
                                              ? tr("unknown")
                                              : qs(data::formatName(f.result.format))));
        m_fileTable->setItem(row, 2, numberItem(qlonglong(f.result.records.size())));
        m_fileTable->setItem(row, 3, numberItem(qlonglong(f.result.issues.size())));
        m_fileTable->setItem(row, 4, item(shapeList.join(QStringLiteral(", "))));
        m_fileTable->setItem(row, 5, item(taskList.join(QStringLiteral(", "))));
    }
    m_fileTable->resizeColumnsToContents();
}

void DatasetPanel::refreshPreview()
{
    std::vector<PreviewRow> rows;
    for (int fi = 0; fi < int(m_files.size()); ++fi) {
        const auto& f = m_files[size_t(fi)];
        const QString name = QFileInfo(f.path).fileName();
        std::vector<PreviewRow> fileRows;
        for (size_t i = 0; i < f.result.records.size(); ++i) {
            const data::Record& r = f.result.records[i];
            PreviewRow row{fi, qint64(f.result.lines[i]), int(i), {}};
            row.cells = QStringList{name, QString::number(row.line), qs(r.task), qs(data::shapeName(r.shape)),
                                    qs(r.instruction), qs(r.input), qs(r.output), qs(r.prompt), qs(r.response),
                                    qs(r.text), messagesText(r), QString()};
            fileRows.push_back(std::move(row));
        }
        // Records that did not read are rows too, so a problem can be found in place.
        for (const auto& issue : f.result.issues) {
            if (issue.line == 0)
                continue;
            const bool taken = std::any_of(fileRows.begin(), fileRows.end(),
                                           [&](const PreviewRow& r) { return r.line == qint64(issue.line); });
            if (taken)
                continue;
            PreviewRow row{fi, qint64(issue.line), -1, {}};
            row.cells = QStringList{name, QString::number(row.line), {}, {}, {}, {}, {}, {}, {}, {}, {}, {}};
            row.cells[PreviewModel::Problem] =
                issue.field.empty() ? qs(issue.message) : tr("field '%1': %2").arg(qs(issue.field), qs(issue.message));
            fileRows.push_back(std::move(row));
        }
        std::stable_sort(fileRows.begin(), fileRows.end(),
                         [](const PreviewRow& a, const PreviewRow& b) { return a.line < b.line; });
        std::move(fileRows.begin(), fileRows.end(), std::back_inserter(rows));
    }
    m_model->setRows(std::move(rows));
    updatePageControls();
}

void DatasetPanel::updatePageControls()
{
    const int total = m_model->totalRows();
    const int first = total ? m_model->page() * PreviewModel::kPageSize + 1 : 0;
    const int last = std::min(total, (m_model->page() + 1) * PreviewModel::kPageSize);
    m_pageLabel->setText(tr("Page %1 of %2 (rows %3–%4 of %5)")
                             .arg(m_model->page() + 1)
                             .arg(m_model->pageCount())
                             .arg(first)
                             .arg(last)
                             .arg(total));
    m_prev->setEnabled(m_model->page() > 0);
    m_next->setEnabled(m_model->page() + 1 < m_model->pageCount());
}

void DatasetPanel::nextPage() { m_model->setPage(m_model->page() + 1); }

void DatasetPanel::previousPage() { m_model->setPage(m_model->page() - 1); }

void DatasetPanel::refreshTasks()
{
    std::vector<std::string> taskOfRecord;
    for (const auto& f : m_files) {
        for (const auto& r : f.result.records)
            taskOfRecord.push_back(r.task);
    }
    const auto counts = data::countTasks(taskOfRecord);
    m_taskTable->setSortingEnabled(false);
    m_taskTable->setRowCount(int(counts.size()));
    int row = 0;
    for (const auto& [task, n] : counts) {
        m_taskTable->setItem(row, 0, item(qs(task)));
        m_taskTable->setItem(row, 1, numberItem(qlonglong(n)));
        m_taskTable->setItem(
            row, 2, item(QStringLiteral("%1%").arg(100.0 * double(n) / double(taskOfRecord.size()), 0, 'f', 1)));
        ++row;
    }
    m_taskTable->setSortingEnabled(true);
}

void DatasetPanel::refreshIssues()
{
    int total = 0;
    for (const auto& f : m_files)
        total += int(f.result.issues.size());
    m_issueTable->setRowCount(total);
    int row = 0;
    for (int fi = 0; fi < int(m_files.size()); ++fi) {
        for (const auto& issue : m_files[size_t(fi)].result.issues) {
            auto* file = item(QFileInfo(m_files[size_t(fi)].path).fileName());
            file->setData(Qt::UserRole, fi);
            file->setToolTip(m_files[size_t(fi)].path);
            m_issueTable->setItem(row, 0, file);
            m_issueTable->setItem(row, 1, numberItem(qlonglong(issue.line)));
            m_issueTable->setItem(row, 2, item(qs(issue.field)));
            m_issueTable->setItem(row, 3, item(qs(issue.message)));
            ++row;
        }
    }
    m_tabs->setTabText(m_tabs->indexOf(m_issueTable),
                       total ? tr("Pro&blems (%1)").arg(total) : tr("Pro&blems"));
}

void DatasetPanel::jumpToIssue(int row)
{
    const QTableWidgetItem* file = m_issueTable->item(row, 0);
    const QTableWidgetItem* line = m_issueTable->item(row, 1);
    if (!file || !line)
        return;
    const int index = m_model->indexOf(file->data(Qt::UserRole).toInt(), line->data(Qt::DisplayRole).toLongLong());
    if (index < 0)
        return;
    m_model->setPage(index / PreviewModel::kPageSize);
    const QModelIndex target = m_model->index(index % PreviewModel::kPageSize, 0);
    m_preview->selectionModel()->setCurrentIndex(
        target, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_preview->scrollTo(target);
    m_tabs->setCurrentIndex(0);
}

// --- Template ------------------------------------------------------------

const data::Record* DatasetPanel::currentRecord(QString* where) const
{
    const QModelIndex current = m_preview->selectionModel()->currentIndex();
    if (current.isValid() && current.row() < m_model->rowCount()) {
        const PreviewRow& row = m_model->rowAt(current.row());
        if (row.record >= 0) {
            *where = tr("%1, line %2").arg(QFileInfo(m_files[size_t(row.file)].path).fileName()).arg(row.line);
            return &m_files[size_t(row.file)].result.records[size_t(row.record)];
        }
    }
    for (const auto& f : m_files) {
        if (!f.result.records.empty()) {
            *where = tr("%1, line %2 (select a record in the preview to see another)")
                         .arg(QFileInfo(f.path).fileName())
                         .arg(f.result.lines.front());
            return &f.result.records.front();
        }
    }
    return nullptr;
}

void DatasetPanel::refreshTemplate()
{
    m_rendered->clear();
    QString where;
    const data::Record* record = currentRecord(&where);
    if (!record) {
        m_templateSource->setText(tr("No record to show."));
        return;
    }
    m_templateSource->setText(tr("Record: %1").arg(where));
    std::vector<data::Segment> segments;
    try {
        const auto kind = data::templateFromName(m_template->currentData().toString().toStdString());
        segments = data::renderRecord(*record, kind);
    } catch (const std::exception& e) {
        m_rendered->setPlainText(QString::fromStdString(e.what()));
        return;
    }
    QTextCursor cursor(m_rendered->document());
    QTextCharFormat prompt;
    QTextCharFormat response;
    response.setBackground(QColor(255, 230, 140));
    response.setForeground(QColor(20, 20, 20));
    for (const auto& s : segments)
        cursor.insertText(qs(s.text), s.loss ? response : prompt);
}

QString DatasetPanel::renderedText() const { return m_rendered->toPlainText(); }

// --- Token lengths ---------------------------------------------------------

void DatasetPanel::setTokenizerPath(const QString& path)
{
    m_tokenizerPath = path;
    m_tokenizerEdit->setText(path);
    m_tokenizer.reset();
    if (!path.isEmpty()) {
        try {
            m_tokenizer = tok::loadTokenizer(path.toStdString());
        } catch (const std::exception& e) {
            showMessage(tr("Tokenizer: %1").arg(QString::fromStdString(e.what())));
        }
    }
    computeLengths();
    refreshHistogram();
}

void DatasetPanel::chooseTokenizer()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Model or tokenizer folder"), m_tokenizerPath);
    if (!dir.isEmpty())
        setTokenizerPath(dir);
}

void DatasetPanel::computeLengths()
{
    m_lengths.clear();
    if (!m_tokenizer)
        return;
    data::TokenizeOptions options;
    options.templateKind = data::templateFromName(m_template->currentData().toString().toStdString());
    options.maxLength = 0; // whole lengths: the truncation point is drawn on them
    options.dropWithoutLoss = false;
    try {
        for (const auto& f : m_files) {
            const data::TokenizedSet set = data::tokenizeRecords(f.result.records, *m_tokenizer, options);
            for (const auto& ex : set.examples)
                m_lengths.push_back(ex.ids.size());
        }
    } catch (const std::exception& e) {
        m_lengths.clear();
        showMessage(tr("Token lengths: %1").arg(QString::fromStdString(e.what())));
    }
}

void DatasetPanel::refreshHistogram()
{
    m_chart->removeAllSeries(); // deletes the bar sets too
    for (QAbstractAxis* axis : m_chart->axes()) {
        m_chart->removeAxis(axis);
        delete axis;
    }
    m_keptBars = nullptr;
    m_truncatedBars = nullptr;
    m_binWidth = 0;
    const size_t limit = size_t(m_maxLength->value());
    m_truncated = int(std::count_if(m_lengths.begin(), m_lengths.end(), [&](size_t n) { return n > limit; }));
    if (!m_tokenizer) {
        m_truncatedLabel->setText(tr("Choose a tokenizer to see token lengths."));
        return;
    }
    m_truncatedLabel->setText(tr("%n record(s) longer than %1 tokens would be truncated", nullptr, m_truncated)
                                  .arg(limit));
    if (m_lengths.empty())
        return;

    // Bins as core's statistics draw them (data/stats.h), each split into
    // the part that fits and the part past the truncation point.
    data::TokenizedSet set;
    for (size_t n : m_lengths)
        set.examples.push_back({std::vector<tok::TokenId>(n), {}, {}, false});
    const data::DatasetStats stats = data::computeStats(set, kBinCount);
    m_binWidth = stats.histogram.front().hi - stats.histogram.front().lo;

    m_keptBars = new QBarSet(tr("fits"));
    m_truncatedBars = new QBarSet(tr("truncated"));
    m_keptBars->setColor(QColor(66, 133, 244));
    m_truncatedBars->setColor(QColor(219, 68, 55));
    QStringList categories;
    for (const auto& bin : stats.histogram) {
        const size_t over = size_t(std::count_if(m_lengths.begin(), m_lengths.end(), [&](size_t n) {
            return n >= bin.lo && n < bin.hi && n > limit;
        }));
        m_keptBars->append(double(bin.count - over));
        m_truncatedBars->append(double(over));
        categories << QStringLiteral("%1–%2").arg(bin.lo).arg(bin.hi - 1);
    }
    auto* series = new QStackedBarSeries;
    series->append(m_keptBars);
    series->append(m_truncatedBars);
    m_chart->addSeries(series);
    auto* x = new QBarCategoryAxis;
    x->append(categories);
    x->setTitleText(tr("tokens"));
    auto* y = new QValueAxis;
    y->setTitleText(tr("records"));
    y->setLabelFormat(QStringLiteral("%d"));
    double top = 0;
    for (const auto& bin : stats.histogram)
        top = std::max(top, double(bin.count));
    y->setRange(0, std::max(1.0, top));
    m_chart->addAxis(x, Qt::AlignBottom);
    m_chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
    m_chart->setTitle(tr("Token lengths (%1 template); truncation at %2 tokens")
                          .arg(m_template->currentText())
                          .arg(limit));
}

// --- Output ----------------------------------------------------------------

train::DataConfig DatasetPanel::dataConfig() const
{
    train::DataConfig config;
    const auto map = coreFieldMap();
    for (const auto& f : m_files) {
        train::DataFile file;
        file.path = f.path.toStdString();
        file.format = data::formatName(f.result.format); // "auto" when it could not be told
        file.fields = map;
        config.train.push_back(std::move(file));
    }
    config.templateName = m_template->currentData().toString().toStdString();
    config.maxLength = m_maxLength->value();
    return config;
}

void DatasetPanel::showMessage(const QString& text)
{
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
}

QString DatasetPanel::message() const { return m_message->text(); }

} // namespace tb::ui
