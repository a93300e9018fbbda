#include "ui/dataset/dataset_panel.h"

#include "ui/common/tables.h"
#include "ui/dataset/length_histogram.h"
#include "ui/dataset/preview_model.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMimeData>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
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

enum FileColumn { FileName, FileFormatColumn, FileRecords, FileProblems, FileShape, FileTasks, FileFolder };

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

// A count as the user's locale writes it ("1.234" in German), sorting by the number.
QTableWidgetItem* numberItem(qlonglong n)
{
    auto* it = new NumberItem(QLocale().toString(n), double(n));
    it->setFlags(it->flags() & ~Qt::ItemIsEditable);
    return it;
}

QTableWidget* makeTable(const QStringList& headers, const char* name)
{
    auto* t = makeReadOnlyTable(headers, name);
    t->setSelectionMode(QAbstractItemView::SingleSelection);
    return t;
}

QLabel* wrappingLabel(const QString& text = {})
{
    auto* label = new QLabel(text);
    label->setWordWrap(true);
    return label;
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

// A mapping target (data::mappingTargets()) in words, for the mapping combos.
QString targetLabel(const std::string& target)
{
    static const std::map<std::string, const char*> words = {
        {"prompt", QT_TRANSLATE_NOOP("tb::ui::DatasetPanel", "Prompt")},
        {"response", QT_TRANSLATE_NOOP("tb::ui::DatasetPanel", "Response")},
        {"instruction", QT_TRANSLATE_NOOP("tb::ui::DatasetPanel", "Instruction")},
        {"input", QT_TRANSLATE_NOOP("tb::ui::DatasetPanel", "Input")},
        {"output", QT_TRANSLATE_NOOP("tb::ui::DatasetPanel", "Output")},
        {"text", QT_TRANSLATE_NOOP("tb::ui::DatasetPanel", "Text")},
        {"task", QT_TRANSLATE_NOOP("tb::ui::DatasetPanel", "Task")},
        {"messages", QT_TRANSLATE_NOOP("tb::ui::DatasetPanel", "Chat messages")},
        {"completion", QT_TRANSLATE_NOOP("tb::ui::DatasetPanel", "Completion (as response)")},
    };
    const auto it = words.find(target);
    return it == words.end() ? qs(target) : DatasetPanel::tr(it->second);
}

// The preview column a mapping target fills; -1 for none.
int previewColumn(const std::string& target)
{
    static const std::map<std::string, int> columns = {
        {"prompt", PreviewModel::Prompt},   {"response", PreviewModel::Response},
        {"completion", PreviewModel::Response}, {"instruction", PreviewModel::Instruction},
        {"input", PreviewModel::Input},     {"output", PreviewModel::Output},
        {"text", PreviewModel::Text},       {"messages", PreviewModel::Messages},
    };
    const auto it = columns.find(target);
    return it == columns.end() ? -1 : it->second;
}

bool sameFiles(const std::vector<train::DataFile>& a, const std::vector<train::DataFile>& b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const train::DataFile& x, const train::DataFile& y) {
        return x.path == y.path && x.task == y.task && x.format == y.format && x.fields == y.fields;
    });
}

// The settings dataConfig() gives (the rest keeps its defaults).
bool sameData(const train::DataConfig& a, const train::DataConfig& b)
{
    return sameFiles(a.train, b.train) && a.templateName == b.templateName && a.maxLength == b.maxLength;
}

} // namespace

DatasetPanel::DatasetPanel(QWidget* parent) : QWidget(parent)
{
    setAcceptDrops(true);

    // Files.
    auto* addButton = new QPushButton(tr("&Add files…"));
    addButton->setObjectName("addFilesButton");
    m_remove = new QPushButton(tr("&Remove"));
    m_remove->setObjectName("removeFileButton");
    m_remove->setToolTip(tr("Take the selected file off the list (Delete)"));
    m_remove->setEnabled(false);
    auto* clearButton = new QPushButton(tr("C&lear"));
    m_fileTable = makeTable({tr("File"), tr("Format"), tr("Records"), tr("Problems"), tr("Shape"), tr("Tasks"),
                             tr("Folder")},
                            "fileTable");
    m_fileTable->setToolTip(tr("Drop JSONL, JSON or CSV files here. Each file is a task unless its records "
                               "name their own task. Select a file to preview only its records."));
    m_fileTable->horizontalHeader()->setSectionResizeMode(FileFolder, QHeaderView::Stretch);
    m_fileTable->installEventFilter(this);
    m_fileTable->setContextMenuPolicy(Qt::ActionsContextMenu);
    auto* removeAction = new QAction(tr("Remove from the list"), m_fileTable);
    m_fileTable->addAction(removeAction);
    auto* fileButtons = new QHBoxLayout;
    fileButtons->addWidget(wrappingLabel(tr("Dataset files (drop them here):")), 1);
    fileButtons->addWidget(addButton);
    fileButtons->addWidget(m_remove);
    fileButtons->addWidget(clearButton);

    // Field mapping.
    m_fieldTable = makeTable({tr("Source field"), tr("Tunebench field")}, "fieldTable");
    m_fieldTable->setSelectionMode(QAbstractItemView::NoSelection);
    auto* fieldBox = new QWidget;
    auto* fieldLayout = new QVBoxLayout(fieldBox);
    fieldLayout->setContentsMargins(0, 0, 0, 0);
    fieldLayout->addWidget(wrappingLabel(tr("Field mapping:")));
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

    m_message = wrappingLabel();
    m_message->setObjectName("messageLabel");
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->setStyleSheet(QStringLiteral("color: #c62828"));
    m_message->hide();
    m_busy = wrappingLabel();
    m_busy->setObjectName("busyLabel");
    m_busy->hide();

    // Preview, of every file or of the one selected.
    m_filterLabel = wrappingLabel();
    m_filterLabel->setObjectName("previewFilterLabel");
    m_showAll = new QPushButton(tr("Show &all files"));
    m_showAll->setObjectName("showAllFilesButton");
    auto* filterBar = new QHBoxLayout;
    filterBar->addWidget(m_filterLabel, 1);
    filterBar->addWidget(m_showAll);
    m_hiddenNote = wrappingLabel();
    m_hiddenNote->setObjectName("hiddenFieldsLabel");
    m_hiddenNote->hide();
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
    m_pageLabel = wrappingLabel();
    m_pageLabel->setObjectName("pageLabel");
    m_pageLabel->setAlignment(Qt::AlignCenter);
    auto* pager = new QHBoxLayout;
    pager->addWidget(m_prev);
    pager->addWidget(m_pageLabel, 1);
    pager->addWidget(m_next);
    auto* previewTab = new QWidget;
    auto* previewLayout = new QVBoxLayout(previewTab);
    previewLayout->addLayout(filterBar);
    previewLayout->addWidget(m_hiddenNote);
    previewLayout->addWidget(m_preview);
    previewLayout->addLayout(pager);

    // Template.
    m_templateSource = wrappingLabel();
    m_rendered = new QTextEdit;
    m_rendered->setObjectName("templateView");
    m_rendered->setReadOnly(true);
    m_rendered->setLineWrapMode(QTextEdit::WidgetWidth);
    auto* templateTab = new QWidget;
    auto* templateLayout = new QVBoxLayout(templateTab);
    templateLayout->addWidget(m_templateSource);
    templateLayout->addWidget(m_rendered);
    templateLayout->addWidget(wrappingLabel(tr("Highlighted: the response, where the loss is taken.")));

    // Tasks.
    m_taskTable = makeTable({tr("Task"), tr("Records"), tr("Share")}, "taskTable");
    m_taskTable->setSortingEnabled(true);

    m_histogram = new LengthHistogram;
    m_pool = new QThreadPool(this);
    m_pool->setMaxThreadCount(1);
    m_readPool = new QThreadPool(this);
    m_readPool->setMaxThreadCount(1);

    // Problems.
    m_issueTable = makeTable({tr("File"), tr("Line"), tr("Field"), tr("Problem")}, "issueTable");
    m_issueTable->setToolTip(tr("Double-click a problem to see its record in the preview"));
    m_problemsNote = makeEmptyState({}, "problemsNote");
    auto* problemsTab = new QWidget;
    auto* problemsLayout = new QVBoxLayout(problemsTab);
    problemsLayout->setContentsMargins(0, 0, 0, 0);
    problemsLayout->addWidget(m_problemsNote);
    problemsLayout->addWidget(m_issueTable);

    m_tabs = new QTabWidget;
    m_tabs->setObjectName("datasetTabs");
    m_tabs->addTab(previewTab, tr("Pre&view"));
    m_tabs->addTab(templateTab, tr("Te&mplate"));
    m_tabs->addTab(m_taskTable, tr("Tas&ks"));
    m_tabs->addTab(m_histogram, tr("Token &lengths"));
    m_tabs->addTab(problemsTab, tr("Pro&blems"));

    auto* top = new QSplitter(Qt::Horizontal);
    top->addWidget(m_fileTable);
    top->addWidget(fieldBox);
    top->setStretchFactor(0, 3);
    top->setStretchFactor(1, 1);
    auto* vertical = new QSplitter(Qt::Vertical);
    vertical->addWidget(top);
    vertical->addWidget(m_tabs);
    vertical->setStretchFactor(1, 2);
    m_stack = new QStackedWidget;
    m_stack->addWidget(
        makeEmptyState(tr("Drop JSONL, JSON or CSV files here, or click Add files…"), "datasetEmptyState"));
    m_stack->addWidget(vertical);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(settings);
    layout->addWidget(m_message);
    layout->addLayout(fileButtons);
    layout->addWidget(m_busy);
    layout->addWidget(m_stack, 1);

    connect(addButton, &QPushButton::clicked, this, &DatasetPanel::chooseFiles);
    connect(m_remove, &QPushButton::clicked, this, &DatasetPanel::removeSelectedFiles);
    connect(removeAction, &QAction::triggered, this, &DatasetPanel::removeSelectedFiles);
    connect(clearButton, &QPushButton::clicked, this, &DatasetPanel::clearFiles);
    connect(m_fileTable->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &DatasetPanel::takeFileSelection);
    connect(m_showAll, &QPushButton::clicked, this, [this] { showFile({}); });
    connect(browse, &QPushButton::clicked, this, &DatasetPanel::chooseTokenizer);
    connect(m_tokenizerEdit, &QLineEdit::editingFinished, this, [this] {
        if (m_tokenizerEdit->text() != m_tokenizerPath)
            setTokenizerPath(m_tokenizerEdit->text());
    });
    connect(m_template, &QComboBox::currentIndexChanged, this, [this] {
        m_session.setTemplateKind(data::templateFromName(m_template->currentData().toString().toStdString()));
        refreshTemplate();
        measureLengths();
        noteDataChanged();
    });
    connect(m_maxLength, &QSpinBox::valueChanged, this, [this] {
        m_session.setMaxLength(size_t(m_maxLength->value()));
        refreshHistogram();
        noteDataChanged();
    });
    connect(m_prev, &QPushButton::clicked, this, &DatasetPanel::previousPage);
    connect(m_next, &QPushButton::clicked, this, &DatasetPanel::nextPage);
    connect(m_model, &PreviewModel::pageChanged, this, &DatasetPanel::updatePageControls);
    connect(m_preview->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &DatasetPanel::refreshTemplate);
    connect(m_issueTable, &QTableWidget::cellDoubleClicked, this, [this](int row, int) { jumpToIssue(row); });
    m_announced = dataConfig();
    reload();
}

DatasetPanel::~DatasetPanel()
{
    // The workers post their results to this panel: they must be done before the panel goes.
    if (m_readControl)
        m_readControl->cancel();
    if (m_lengthControl)
        m_lengthControl->cancel();
    m_readPool->waitForDone();
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
        filesChanged();
}

void DatasetPanel::removeFile(const QString& path)
{
    const std::string p = path.toStdString();
    if (!m_session.removeFile(p))
        return;
    m_configuredFormats.erase(p);
    if (m_filterPath == p)
        m_filterPath.clear();
    filesChanged();
}

void DatasetPanel::removeSelectedFiles()
{
    QStringList paths;
    for (const QModelIndex& index : m_fileTable->selectionModel()->selectedRows()) {
        if (const QTableWidgetItem* name = m_fileTable->item(index.row(), FileName))
            paths << name->data(Qt::UserRole).toString();
    }
    for (const QString& path : paths)
        removeFile(path);
}

void DatasetPanel::clearFiles()
{
    m_session.clearFiles();
    m_configuredFormats.clear();
    m_filterPath.clear();
    filesChanged();
}

// The list changed: show it at once, read it on the worker, tell the window.
void DatasetPanel::filesChanged()
{
    refreshFiles();
    reload();
    noteDataChanged();
}

void DatasetPanel::noteDataChanged()
{
    m_announced = dataConfig();
    Q_EMIT dataConfigChanged();
}

QStringList DatasetPanel::files() const { return qsList(m_session.files()); }

QStringList DatasetPanel::sourceFields() const { return qsList(m_session.sourceFields()); }

int DatasetPanel::recordCount() const { return static_cast<int>(m_session.recordCount()); }

QString DatasetPanel::fileName(size_t file) const
{
    return QFileInfo(qs(m_session.loaded()[file].path)).fileName();
}

std::optional<size_t> DatasetPanel::loadedIndex(const std::string& path) const
{
    const auto& loaded = m_session.loaded();
    for (size_t i = 0; i < loaded.size(); ++i) {
        if (loaded[i].path == path)
            return i;
    }
    return std::nullopt;
}

bool DatasetPanel::showsEmptyState() const { return m_stack->currentIndex() == 0; }

QString DatasetPanel::busyText() const { return m_reading ? m_busy->text() : QString(); }

void DatasetPanel::chooseFiles()
{
    const QStringList paths = QFileDialog::getOpenFileNames(
        this, tr("Import dataset files"), {},
        tr("Datasets (*.jsonl *.ndjson *.json *.csv);;All files (*)"));
    addFiles(paths);
}

bool DatasetPanel::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_fileTable && event->type() == QEvent::KeyPress) {
        const auto* key = static_cast<QKeyEvent*>(event);
        if ((key->key() == Qt::Key_Delete || key->key() == Qt::Key_Backspace) && key->modifiers() == Qt::NoModifier
            && m_fileTable->selectionModel()->hasSelection()) {
            removeSelectedFiles();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
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
    noteDataChanged();
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
            combo->addItem(targetLabel(t), qs(t));
        combo->addItem(tr("(ignore)"), qs(data::kIgnoreField));
        combo->setCurrentIndex(combo->findData(fieldMapping(source)));
        connect(combo, &QComboBox::currentIndexChanged, this,
                [this, source, combo] { setFieldMapping(source, combo->currentData().toString()); });
        m_fieldTable->setCellWidget(row, 1, combo);
    }
}

// --- Reading -------------------------------------------------------------

// Reads the files with the current mapping on the worker, on a snapshot of
// what to read; an older read still running is cancelled (between files) and
// its result, should it arrive, ignored. What was read before stays shown
// until the new result is in.
void DatasetPanel::reload()
{
    showMessage({});
    if (m_readControl)
        m_readControl->cancel();
    m_readControl.reset();
    const quint64 generation = ++m_readGeneration;
    std::vector<data::FileToRead> toRead = m_session.filesToRead();
    if (toRead.empty()) { // nothing to read: no worker needed
        takeRead(generation, std::make_shared<const std::vector<data::LoadedFile>>());
        return;
    }
    m_reading = true;
    measureLengths(); // stops counting the records about to be replaced
    m_busy->setText(toRead.size() == 1 ? tr("Reading 1 file…")
                                       : tr("Reading %L1 files…").arg(qulonglong(toRead.size())));
    m_busy->show();
    auto control = std::make_shared<RunControl>();
    m_readControl = control;
    m_readPool->start([this, generation, control, toRead = std::move(toRead)] {
        data::LoadedFiles loaded = data::readFiles(toRead, control.get());
        if (!loaded)
            return; // cancelled: a newer read is on its way
        QMetaObject::invokeMethod(
            this, [this, generation, loaded = std::move(loaded)] { takeRead(generation, loaded); },
            Qt::QueuedConnection);
    });
}

void DatasetPanel::takeRead(quint64 generation, data::LoadedFiles loaded)
{
    if (generation != m_readGeneration)
        return; // read for files or a mapping no longer chosen
    m_reading = false;
    m_readControl.reset();
    m_busy->hide();
    m_session.adopt(std::move(loaded));
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
    // Formats are known now: tell the window when that changes what it would save.
    if (!sameData(dataConfig(), m_announced))
        noteDataChanged();
    Q_EMIT readFinished();
}

void DatasetPanel::refreshFiles()
{
    const auto summaries = m_session.fileSummaries();
    const auto& paths = m_session.files();
    const QSignalBlocker block(m_fileTable->selectionModel());
    m_fileTable->clearSelection();
    m_fileTable->setRowCount(int(paths.size()));
    for (int row = 0; row < int(paths.size()); ++row) {
        const QString path = qs(paths[size_t(row)]);
        const QFileInfo info(path);
        auto* name = item(info.fileName());
        name->setToolTip(QDir::toNativeSeparators(path));
        name->setData(Qt::UserRole, path);
        m_fileTable->setItem(row, FileName, name);
        auto* folder = item(QDir::toNativeSeparators(info.absolutePath()));
        folder->setToolTip(folder->text());
        m_fileTable->setItem(row, FileFolder, folder);
        const auto index = loadedIndex(paths[size_t(row)]);
        if (!index) { // added since the last read
            m_fileTable->setItem(row, FileFormatColumn, item(tr("reading…")));
            for (int column : {FileRecords, FileProblems, FileShape, FileTasks})
                m_fileTable->setItem(row, column, item({}));
            continue;
        }
        const data::FileSummary& f = summaries[*index];
        m_fileTable->setItem(row, FileFormatColumn, item(f.format == data::FileFormat::Auto
                                                             ? tr("unknown")
                                                             : qs(data::formatName(f.format))));
        m_fileTable->setItem(row, FileRecords, numberItem(qlonglong(f.records)));
        m_fileTable->setItem(row, FileProblems, numberItem(qlonglong(f.problems)));
        m_fileTable->setItem(row, FileShape, item(qsList(f.shapes).join(QStringLiteral(", "))));
        m_fileTable->setItem(row, FileTasks, item(qsList(f.tasks).join(QStringLiteral(", "))));
    }
    if (!m_filterPath.empty()) {
        const auto it = std::find(paths.begin(), paths.end(), m_filterPath);
        if (it != paths.end())
            m_fileTable->selectRow(int(it - paths.begin()));
        else
            m_filterPath.clear();
    }
    for (int column = FileName; column < FileFolder; ++column) // the folder takes the rest
        m_fileTable->resizeColumnToContents(column);
    m_remove->setEnabled(m_fileTable->selectionModel()->hasSelection());
    m_stack->setCurrentIndex(paths.empty() ? 0 : 1);
}

// The file selected in the file table is the one the preview shows.
void DatasetPanel::takeFileSelection()
{
    const QModelIndexList rows = m_fileTable->selectionModel()->selectedRows();
    m_remove->setEnabled(!rows.isEmpty());
    std::string path;
    if (rows.size() == 1) {
        if (const QTableWidgetItem* name = m_fileTable->item(rows.front().row(), FileName))
            path = name->data(Qt::UserRole).toString().toStdString();
    }
    if (path == m_filterPath)
        return;
    m_filterPath = path;
    refreshPreview();
    refreshTemplate();
}

void DatasetPanel::showFile(const QString& path)
{
    const int row = int(std::find(m_session.files().begin(), m_session.files().end(), path.toStdString())
                        - m_session.files().begin());
    if (path.isEmpty() || row >= int(m_session.files().size()))
        m_fileTable->clearSelection();
    else
        m_fileTable->selectRow(row);
}

void DatasetPanel::refreshPreview()
{
    const std::optional<size_t> only = m_filterPath.empty() ? std::nullopt : loadedIndex(m_filterPath);
    const bool filtered = !m_filterPath.empty();
    std::vector<PreviewRow> rows;
    for (const data::PreviewEntry& e : m_session.previewEntries()) {
        if (filtered && (!only || e.file != *only))
            continue;
        const auto& result = m_session.loaded()[e.file].result;
        PreviewRow row{int(e.file), qint64(e.line), e.record ? int(*e.record) : -1, {}};
        const QString name = fileName(e.file);
        const QString line = QLocale().toString(row.line);
        if (e.record) {
            const data::Record& r = result.records[*e.record];
            row.cells = QStringList{name, line, qs(r.task), qs(data::shapeName(r.shape)),
                                    qs(r.instruction), qs(r.input), qs(r.output), qs(r.prompt), qs(r.response),
                                    qs(r.text), messagesText(r), QString()};
        } else {
            row.cells = QStringList{name, line, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}};
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
    hideEmptyColumns(only);
    if (filtered) {
        m_filterLabel->setText(tr("Showing only %1.").arg(QFileInfo(qs(m_filterPath)).fileName()));
    } else {
        m_filterLabel->setText(tr("Showing every file; select one in the list to see only its records."));
    }
    m_showAll->setVisible(filtered);
    updatePageControls();
}

// A column empty in every row shown has no use: hide it, and say which
// source fields of the shown files that leaves out.
void DatasetPanel::hideEmptyColumns(std::optional<size_t> shownFile)
{
    for (int c = PreviewModel::Instruction; c <= PreviewModel::Problem; ++c)
        m_preview->setColumnHidden(c, m_model->columnEmpty(c));
    m_hiddenFields.clear();
    const bool anyRecord = std::any_of(m_model->rows().begin(), m_model->rows().end(),
                                       [](const PreviewRow& r) { return r.record >= 0; });
    const auto& loaded = m_session.loaded();
    for (size_t fi = 0; anyRecord && fi < loaded.size(); ++fi) {
        if (shownFile && fi != *shownFile)
            continue;
        for (const std::string& field : loaded[fi].result.fields) {
            const int column = previewColumn(m_session.fieldMapping(field));
            if (column >= 0 && m_preview->isColumnHidden(column) && !m_hiddenFields.contains(qs(field)))
                m_hiddenFields << qs(field);
        }
    }
    m_hiddenNote->setText(tr("Not shown, empty in every record: %1").arg(m_hiddenFields.join(QStringLiteral(", "))));
    m_hiddenNote->setVisible(!m_hiddenFields.isEmpty());
}

void DatasetPanel::updatePageControls()
{
    const int total = m_model->totalRows();
    const int first = total ? m_model->page() * PreviewModel::kPageSize + 1 : 0;
    const int last = std::min(total, (m_model->page() + 1) * PreviewModel::kPageSize);
    m_pageLabel->setText(tr("Page %L1 of %L2 (rows %L3–%L4 of %L5)")
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
        auto* share = new NumberItem(tr("%1%").arg(localNumber(100.0 * t.share, 'f', 1)), t.share);
        share->setFlags(share->flags() & ~Qt::ItemIsEditable);
        m_taskTable->setItem(row, 2, share);
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
        file->setToolTip(QDir::toNativeSeparators(qs(m_session.loaded()[p.file].path)));
        m_issueTable->setItem(row, 0, file);
        m_issueTable->setItem(row, 1, numberItem(qlonglong(p.issue.line)));
        m_issueTable->setItem(row, 2, item(qs(p.issue.field)));
        m_issueTable->setItem(row, 3, item(qs(p.issue.message)));
    }
    const int tab = m_tabs->indexOf(m_issueTable->parentWidget());
    m_tabs->setTabText(tab, problems.empty() ? tr("Pro&blems") : tr("Pro&blems (%L1)").arg(problems.size()));
    const bool none = problems.empty();
    m_problemsNote->setText(none ? tr("No problems found (records read: %L1).").arg(recordCount()) : QString());
    m_problemsNote->setVisible(none);
    m_issueTable->setVisible(!none);
}

QString DatasetPanel::problemsNote() const { return m_problemsNote->text(); }

void DatasetPanel::jumpToIssue(int row)
{
    const QTableWidgetItem* file = m_issueTable->item(row, 0);
    const QTableWidgetItem* line = m_issueTable->item(row, 1);
    if (!file || !line)
        return;
    const int fileIndex = file->data(Qt::UserRole).toInt();
    const qint64 lineNumber = qint64(line->data(Qt::UserRole).toDouble());
    if (m_model->indexOf(fileIndex, lineNumber) < 0)
        showFile({}); // the preview shows another file: show them all
    const int index = m_model->indexOf(fileIndex, lineNumber);
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
            *where = tr("%1, line %L2").arg(fileName(size_t(row.file))).arg(row.line);
            return data::RecordRef{size_t(row.file), size_t(row.record)};
        }
    }
    // The first record the preview shows (of the selected file, or of all).
    const auto& rows = m_model->rows();
    const auto first = std::find_if(rows.begin(), rows.end(), [](const PreviewRow& r) { return r.record >= 0; });
    if (first == rows.end())
        return std::nullopt;
    *where = tr("%1, line %L2 (select a record in the preview to see another)")
                 .arg(fileName(size_t(first->file)))
                 .arg(first->line);
    return data::RecordRef{size_t(first->file), size_t(first->record)};
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
// running is cancelled and its result, should it arrive, ignored. While the
// files are being read nothing is counted: the read's result starts the count.
void DatasetPanel::measureLengths()
{
    if (m_lengthControl)
        m_lengthControl->cancel();
    m_lengthControl.reset();
    const quint64 generation = ++m_lengthsGeneration;
    m_lengths.clear();
    m_lengthsPending = bool(m_tokenizer) && !m_reading;
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
    else if (m_reading)
        m_histogram->showNote(tr("Reading the files…"));
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
    for (const std::string& path : m_session.files()) {
        train::DataFile file;
        file.path = path;
        file.task = m_session.fileOptions(path).task;
        const auto configured = m_configuredFormats.find(path);
        const auto index = loadedIndex(path);
        if (configured != m_configuredFormats.end())
            file.format = configured->second;
        else if (index) // "auto" when it could not be told
            file.format = data::formatName(m_session.loaded()[*index].result.format);
        file.fields = map;
        config.train.push_back(std::move(file));
    }
    config.templateName = m_template->currentData().toString().toStdString();
    config.maxLength = m_maxLength->value();
    return config;
}

void DatasetPanel::setDataConfig(const train::DataConfig& data)
{
    m_session.clearFiles();
    m_configuredFormats.clear();
    m_filterPath.clear();
    std::map<std::string, std::string> fields;
    std::vector<std::string> paths;
    for (const train::DataFile& f : data.train) {
        fields.insert(f.fields.begin(), f.fields.end()); // the first file naming a field decides it
        paths.push_back(f.path);
    }
    m_session.setCoreFieldMap(fields);
    m_session.addFiles(paths);
    for (const train::DataFile& f : data.train) {
        m_session.setFileOptions(f.path, {data::formatFromName(f.format).value_or(data::FileFormat::Auto), f.task});
        m_configuredFormats.emplace(f.path, f.format);
    }
    {
        const QSignalBlocker block(m_template);
        const int index = m_template->findData(qs(data.templateName));
        if (index >= 0)
            m_template->setCurrentIndex(index);
    }
    m_session.setTemplateKind(data::templateFromName(m_template->currentData().toString().toStdString()));
    {
        const QSignalBlocker block(m_maxLength);
        m_maxLength->setValue(int(data.maxLength));
    }
    m_session.setMaxLength(size_t(m_maxLength->value()));
    rebuildFieldTable(); // the fields shown keep their rows, with the mapping restored
    refreshFiles();
    m_announced = dataConfig(); // before reading: its result must not announce what is restored
    reload();
}

void DatasetPanel::showMessage(const QString& text)
{
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
}

QString DatasetPanel::message() const { return m_message->text(); }

} // namespace tb::ui
