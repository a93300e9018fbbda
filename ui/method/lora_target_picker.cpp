#include "ui/method/lora_target_picker.h"

#include "peft/targets.h"

#include <QCheckBox>
#include <QGridLayout>
#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>

namespace tb::ui {

namespace {

constexpr int kColumns = 4;

QString lastComponent(const QString& path) { return path.mid(path.lastIndexOf(QLatin1Char('.')) + 1); }

} // namespace

LoraTargetPicker::LoraTargetPicker(QWidget* parent) : QWidget(parent)
{
    m_grid = new QGridLayout;
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_hint = new QLabel;
    m_hint->setObjectName("loraTargetHint");
    m_hint->setWordWrap(true);
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->addLayout(m_grid);
    v->addWidget(m_hint);
    rebuild({});
}

QString LoraTargetPicker::boxName(const QString& target) { return QStringLiteral("loraTarget_") + target; }

void LoraTargetPicker::setModules(const QStringList& modulePaths, const QStringList& defaults)
{
    m_modules = modulePaths;
    m_defaults = defaults;
    m_kinds.clear();
    for (const QString& p : modulePaths)
        if (!m_kinds.contains(lastComponent(p)))
            m_kinds << lastComponent(p);
    rebuild(entries());
}

void LoraTargetPicker::setTargets(const QStringList& targets)
{
    m_targets = targets;
    rebuild(entries());
}

bool LoraTargetPicker::matchesAModule(const QString& target) const
{
    const std::string t = target.toStdString();
    return std::any_of(m_modules.begin(), m_modules.end(),
                       [&](const QString& p) { return peft::loraTargetMatches(p.toStdString(), t); });
}

// The model's kinds first, then every other target in the list's order.
std::vector<LoraTargetPicker::Entry> LoraTargetPicker::entries() const
{
    std::vector<Entry> out;
    for (const QString& k : m_kinds)
        out.push_back({k, true});
    for (const QString& t : m_targets)
        if (!m_kinds.contains(t))
            out.push_back({t, m_modules.isEmpty() || matchesAModule(t)});
    return out;
}

void LoraTargetPicker::rebuild(const std::vector<Entry>& wanted)
{
    if (wanted != m_shown) {
        for (QCheckBox* b : m_boxes) {
            b->hide();
            b->setParent(nullptr); // out of findChild() at once; the box may be the one sending toggled()
            b->deleteLater();
        }
        m_boxes.clear();
        for (const Entry& e : wanted) {
            auto* box = new QCheckBox(e.known ? e.name : tr("%1 (not in this model)").arg(e.name), this);
            box->setObjectName(boxName(e.name));
            box->setProperty("target", e.name);
            box->setProperty("missing", !e.known);
            QStringList paths;
            for (const QString& p : m_modules)
                if (peft::loraTargetMatches(p.toStdString(), e.name.toStdString()))
                    paths << p;
            if (!e.known) {
                box->setStyleSheet(QStringLiteral("QCheckBox { color: #c0392b; }"));
                box->setToolTip(tr("This model has no module named %1; untick it to drop it").arg(e.name));
            } else if (!paths.isEmpty()) {
                box->setToolTip(tr("LoRA on %n module(s): %1", nullptr, int(paths.size()))
                                    .arg(paths.mid(0, 6).join(QStringLiteral(", ")) +
                                         (paths.size() > 6 ? QStringLiteral(", …") : QString())));
            }
            connect(box, &QCheckBox::toggled, this, &LoraTargetPicker::onToggled);
            const int i = static_cast<int>(m_boxes.size());
            m_grid->addWidget(box, i / kColumns, i % kColumns);
            m_boxes.push_back(box);
        }
        m_shown = wanted;
    }
    for (QCheckBox* b : m_boxes) {
        const QSignalBlocker block(b);
        b->setChecked(m_targets.contains(b->property("target").toString()));
    }
    if (m_modules.isEmpty())
        m_hint->setText(tr("Read a model to choose from its projections, or type target names below."));
    else if (m_targets.isEmpty())
        m_hint->setText(tr("Nothing ticked: LoRA goes on the family default (%1).")
                            .arg(m_defaults.join(QStringLiteral(", "))));
    else
        m_hint->clear();
    m_hint->setVisible(!m_hint->text().isEmpty());
}

void LoraTargetPicker::onToggled()
{
    auto* box = qobject_cast<QCheckBox*>(sender());
    if (!box)
        return;
    const QString name = box->property("target").toString();
    QStringList targets = m_targets;
    if (box->isChecked() && !targets.contains(name))
        targets << name;
    else if (!box->isChecked())
        targets.removeAll(name);
    setTargets(targets);
    Q_EMIT targetsEdited(targets);
}

} // namespace tb::ui
