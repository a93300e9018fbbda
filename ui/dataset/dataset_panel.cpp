#include "ui/dataset/dataset_panel.h"

#include "ui/dataset/length_histogram.h"
#include "ui/dataset/preview_model.h"

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
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTextCursor>
#include <QTextEdit>
#include <QThreadPool>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>

namespace tb::ui {

namespace {

constexpr size_t kBinCount = 20;

QString qs(const std::string& s) { return QString::fromStdString(s); }

QStringList qsList(const std::vector<std::string>& list)
{
    QStringList out;
    for (const auto& s : list)
        out << qs(s);
    return out;
}

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
    m_session.setMaxLength(size_t(m_maxLength->value()));
    m_session.setTemplateKind(data::templateFromName(m_template->currentData().toString().toStdString()));
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

    m_histogram = new LengthHistogram;
    m_pool = new QThreadPool(this);
    m_pool->setMaxThreadCount(1);

    // Problems.
    m_issueTable = makeTable({tr("File"), tr("Line"), tr("Field"), tr("Problem")}, "issueTable");
    m_issueTable->setToolTip(tr("Double-click a problem to see its record in the preview"));

    m_tabs = new QTabWidget;
    m_tabs->setObjectName("datasetTabs");
    m_tabs->addTab(previewTab, tr("Pre&view"));
    m_tabs->addTab(templateTab, tr("Te&mplate"));
    m_tabs->addTab(m_taskTable, tr("Tas&ks"));
    m_tabs->addTab(m_histogram, tr("Token &lengths"));
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
        m_session.setTemplateKind(data::templateFromName(m_template->currentData().toString().toStdString()));
        refreshTemplate();
        measureLengths();
        Q_EMIT dataConfigChanged();
    });
    connect(m_maxLength, &QSpinBox::valueChanged, this, [this] {
        m_session.setMaxLength(size_t(m_maxLength->value()));
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

DatasetPanel::~DatasetPanel()
{
    // The worker posts its result to this panel: it must be done before the panel goes.
    if (m_lengthControl)
        m_lengthControl->cancel();
    m_pool->waitForDone();
}

// --- Files -----------------------------------------------------------------

void DatasetPanel::addFiles(const QStringList& paths)
{
    std::vector<std::string> absolute;
    for (const QString& p : paths) {
        if (!p.isEmpty())
            absolute.push_back(QFileInfo(p).absoluteFilePath().toStdString());
    }
    if (m_session.addFiles(absolute))
        reload();
}

void DatasetPanel::clearFiles()
{
    m_session.clearFiles();
    reload();
}

QStringList DatasetPanel::files() const { return qsList(m_session.files()); }

QStringList DatasetPanel::sourceFields() const { return qsList(m_session.sourceFields()); }

int DatasetPanel::recordCount() const { return static_cast<int>(m_session.recordCount()); }

QString DatasetPanel::fileName(size_t file) const
{
    return QFileInfo(qs(m_session.loaded()[file].path)).fileName();
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

QString DatasetPanel::fieldMapping(const QString& sourceField) const
{
    return qs(m_session.fieldMapping(sourceField.toStdString()));
}

void DatasetPanel::setFieldMapping(const QString& sourceField, const QString& target)
{
    if (!m_session.setFieldMapping(sourceField.toStdString(), target.toStdString()))
        return;
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

void DatasetPanel::rebuildFieldTable()
{
    m_fieldTable->setRowCount(0);
    m_fieldTable->setRowCount(int(m_shownFields.size()));
    for (int row = 0; row < m_shownFields.size(); ++row) {
        const QString source = m_shownFields[row];
        m_fieldTable->setItem(row, 0, item(source));
        auto* combo = new QComboBox;
        combo->setObjectName(QStringLiteral("fieldCombo_") + source);
        for (const std::string& t : data::mappingTargets())
            combo->addItem(qs(t), qs(t));
        combo->addItem(tr("(ignore)"), qs(data::kIgnoreField));
        combo->setCurrentIndex(combo->findData(fieldMapping(source)));
        connect(combo, &QComboBox::currentIndexChanged, this,
                [this, source, combo] { setFieldMapping(source, combo->currentData().toString()); });
        m_fieldTable->setCellWidget(row, 1, combo);
    }
}

// --- Reading -------------------------------------------------------------

// Reading is synchronous: callers (the main window, tests) read the records
// right after addFiles(). The session's readFiles()/adopt() would let it move
// to a worker later; token lengths, the slower part, already run on one.
void DatasetPanel::reload()
{
    showMessage({});
    m_session.reload();
    // The combo that changed a mapping must survive its own signal: rebuild
    // only when the set of fields changes (mapping never changes it).
    const QStringList fields = sourceFields();
    if (fields != m_shownFields) {
        m_shownFields = fields;
        rebuildFieldTable();
    }
    refreshFiles();
    refreshPreview();
    refreshTasks();
    refreshIssues();
    refreshTemplate();
    measureLengths();
    Q_EMIT dataConfigChanged();
}

void DatasetPanel::refreshFiles()
{
    const auto summaries = m_session.fileSummaries();
    m_fileTable->setRowCount(int(summaries.size()));
    for (int row = 0; row < int(summaries.size()); ++row) {
        const data::FileSummary& f = summaries[size_t(row)];
        auto* name = item(fileName(size_t(row)));
        name->setToolTip(qs(m_session.loaded()[size_t(row)].path));
        m_fileTable->setItem(row, 0, name);
        m_fileTable->setItem(row, 1, item(f.format == data::FileFormat::Auto ? tr("unknown")
                                                                             : qs(data::formatName(f.format))));
        m_fileTable->setItem(row, 2, numberItem(qlonglong(f.records)));
        m_fileTable->setItem(row, 3, numberItem(qlonglong(f.problems)));
        m_fileTable->setItem(row, 4, item(qsList(f.shapes).join(QStringLiteral(", "))));
        m_fileTable->setItem(row, 5, item(qsList(f.tasks).join(QStringLiteral(", "))));
    }
    m_fileTable->resizeColumnsToContents();
}

void DatasetPanel::refreshPreview()
{
    std::vector<PreviewRow> rows;
    for (const data::PreviewEntry& e : m_session.previewEntries()) {
        const auto& result = m_session.loaded()[e.file].result;
        PreviewRow row{int(e.file), qint64(e.line), e.record ? int(*e.record) : -1, {}};
        const QString name = fileName(e.file);
        if (e.record) {
            const data::Record& r = result.records[*e.record];
            row.cells = QStringList{name, QString::number(row.line), qs(r.task), qs(data::shapeName(r.shape)),
                                    qs(r.instruction), qs(r.input), qs(r.output), qs(r.prompt), qs(r.response),
                                    qs(r.text), messagesText(r), QString()};
        } else {
            row.cells = QStringList{name, QString::number(row.line), {}, {}, {}, {}, {}, {}, {}, {}, {}, {}};
            if (e.issue) {
                const data::ValidationIssue& issue = result.issues[*e.issue];
                row.cells[PreviewModel::Problem] = issue.field.empty()
                                                       ? qs(issue.message)
                                                       : tr("field '%1': %2").arg(qs(issue.field), qs(issue.message));
            }
        }
        rows.push_back(std::move(row));
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
    const auto counts = m_session.taskCounts();
    m_taskTable->setSortingEnabled(false);
    m_taskTable->setRowCount(int(counts.size()));
    for (int row = 0; row < int(counts.size()); ++row) {
        const data::TaskCount& t = counts[size_t(row)];
        m_taskTable->setItem(row, 0, item(qs(t.task)));
        m_taskTable->setItem(row, 1, numberItem(qlonglong(t.records)));
        m_taskTable->setItem(row, 2, item(QStringLiteral("%1%").arg(100.0 * t.share, 0, 'f', 1)));
    }
    m_taskTable->setSortingEnabled(true);
}

void DatasetPanel::refreshIssues()
{
    const auto problems = m_session.problems();
    m_issueTable->setRowCount(int(problems.size()));
    for (int row = 0; row < int(problems.size()); ++row) {
        const data::Problem& p = problems[size_t(row)];
        auto* file = item(fileName(p.file));
        file->setData(Qt::UserRole, int(p.file));
        file->setToolTip(qs(m_session.loaded()[p.file].path));
        m_issueTable->setItem(row, 0, file);
        m_issueTable->setItem(row, 1, numberItem(qlonglong(p.issue.line)));
        m_issueTable->setItem(row, 2, item(qs(p.issue.field)));
        m_issueTable->setItem(row, 3, item(qs(p.issue.message)));
    }
    m_tabs->setTabText(m_tabs->indexOf(m_issueTable),
                       problems.empty() ? tr("Pro&blems") : tr("Pro&blems (%1)").arg(problems.size()));
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

std::optional<data::RecordRef> DatasetPanel::currentRecord(QString* where) const
{
    const QModelIndex current = m_preview->selectionModel()->currentIndex();
    if (current.isValid() && current.row() < m_model->rowCount()) {
        const PreviewRow& row = m_model->rowAt(current.row());
        if (row.record >= 0) {
            *where = tr("%1, line %2").arg(fileName(size_t(row.file))).arg(row.line);
            return data::RecordRef{size_t(row.file), size_t(row.record)};
        }
    }
    const auto first = m_session.firstRecord();
    if (first) {
        *where = tr("%1, line %2 (select a record in the preview to see another)")
                     .arg(fileName(first->file))
                     .arg(m_session.lineOf(*first));
    }
    return first;
}

void DatasetPanel::refreshTemplate()
{
    m_rendered->clear();
    QString where;
    const auto record = currentRecord(&where);
    if (!record) {
        m_templateSource->setText(tr("No record to show."));
        return;
    }
    m_templateSource->setText(tr("Record: %1").arg(where));
    const data::RenderedRecord rendered = m_session.render(*record);
    if (!rendered.error.empty()) {
        m_rendered->setPlainText(qs(rendered.error));
        return;
    }
    QTextCursor cursor(m_rendered->document());
    QTextCharFormat prompt;
    QTextCharFormat response;
    response.setBackground(QColor(255, 230, 140));
    response.setForeground(QColor(20, 20, 20));
    for (const auto& s : rendered.segments)
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
    measureLengths();
}

void DatasetPanel::chooseTokenizer()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Model or tokenizer folder"), m_tokenizerPath);
    if (!dir.isEmpty())
        setTokenizerPath(dir);
}

// Starts counting the token lengths on the worker, on a snapshot of the
// records and the tokenizer (both immutable and shared, so a reload or a new
// tokenizer meanwhile does not touch what it reads). An older count still
// running is cancelled and its result, should it arrive, ignored.
void DatasetPanel::measureLengths()
{
    if (m_lengthControl)
        m_lengthControl->cancel();
    m_lengthControl.reset();
    const quint64 generation = ++m_lengthsGeneration;
    m_lengths.clear();
    m_lengthsPending = bool(m_tokenizer);
    if (m_lengthsPending) {
        auto control = std::make_shared<RunControl>();
        m_lengthControl = control;
        m_pool->start([this, generation, control, files = m_session.loadedShared(), tokenizer = m_tokenizer,
                       kind = m_session.templateKind()] {
            data::TokenLengths result = data::measureTokenLengths(*files, *tokenizer, kind, control.get());
            if (result.cancelled)
                return;
            QMetaObject::invokeMethod(
                this,
                [this, generation, result = std::move(result)]() mutable {
                    takeLengths(generation, std::move(result));
                },
                Qt::QueuedConnection);
        });
    }
    refreshHistogram();
    Q_EMIT tokenLengthsChanged();
}

void DatasetPanel::takeLengths(quint64 generation, data::TokenLengths result)
{
    if (generation != m_lengthsGeneration)
        return; // counted for records, a template or a tokenizer no longer shown
    m_lengthsPending = false;
    m_lengthControl.reset();
    m_lengths = std::move(result.lengths);
    if (!result.error.empty())
        showMessage(tr("Token lengths: %1").arg(qs(result.error)));
    refreshHistogram();
    Q_EMIT tokenLengthsChanged();
}

void DatasetPanel::refreshHistogram()
{
    const size_t limit = size_t(m_maxLength->value());
    m_histogramData = data::lengthHistogram(m_lengths, limit, kBinCount);
    if (!m_tokenizer)
        m_histogram->showNote(tr("Choose a tokenizer to see token lengths."));
    else if (m_lengthsPending)
        m_histogram->showNote(tr("Counting token lengths…"));
    else
        m_histogram->showHistogram(m_histogramData, limit, m_template->currentText());
}

QBarSet* DatasetPanel::keptBars() const { return m_histogram->keptBars(); }

QBarSet* DatasetPanel::truncatedBars() const { return m_histogram->truncatedBars(); }

// --- Output ----------------------------------------------------------------

train::DataConfig DatasetPanel::dataConfig() const
{
    train::DataConfig config;
    const auto map = m_session.coreFieldMap();
    for (const auto& f : m_session.loaded()) {
        train::DataFile file;
        file.path = f.path;
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
