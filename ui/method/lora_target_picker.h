#pragma once
// LoRA targets as check boxes: one per kind of projection the model has (the
// last part of its module paths: q_proj, v_proj, ... or c_attn, c_proj, c_fc
// for GPT-2), ticked when the target list names it. Targets the list holds
// beyond those kinds stay visible as ticked boxes of their own; one that
// matches no module of the model is flagged, never silently dropped.
//
// The picker shows a target list and reports edits to it; the list itself
// lives in the Method panel's text field (RunConfigForm::targets), which stays
// the one source of the value.
#include <QStringList>
#include <QWidget>

class QCheckBox;
class QGridLayout;
class QLabel;

namespace tb::ui {

class LoraTargetPicker : public QWidget {
    Q_OBJECT
public:
    explicit LoraTargetPicker(QWidget* parent = nullptr);

    // Every module path LoRA can attach to; empty when no model has been read.
    // `defaults` are the targets used when the list is empty.
    void setModules(const QStringList& modulePaths, const QStringList& defaults);
    // The target list to show (ticks follow it; no signal).
    void setTargets(const QStringList& targets);

    // The object name of the box for `target` ("loraTarget_q_proj").
    static QString boxName(const QString& target);

Q_SIGNALS:
    // The user ticked or unticked a box: the list as it now reads.
    void targetsEdited(const QStringList& targets);

private:
    struct Entry {
        QString name;
        bool known = true; // false: the model has no module this target matches
        bool operator==(const Entry& o) const { return name == o.name && known == o.known; }
    };
    std::vector<Entry> entries() const;
    void rebuild(const std::vector<Entry>& wanted);
    void onToggled();
    bool matchesAModule(const QString& target) const;

    QStringList m_modules;  // module paths
    QStringList m_kinds;    // their last components, in first-seen order
    QStringList m_defaults;
    QStringList m_targets;
    std::vector<Entry> m_shown;
    std::vector<QCheckBox*> m_boxes;
    QGridLayout* m_grid = nullptr;
    QLabel* m_hint = nullptr;
};

} // namespace tb::ui
