#pragma once
// Token lengths of a dataset as stacked bars: per length bin, the records
// that fit and those past the truncation point, with a line saying how many
// would be truncated.
#include <QString>
#include <QWidget>

#include <cstddef>

#include "data/dataset_session.h"

class QBarSet;
class QChart;
class QLabel;

namespace tb::ui {

class LengthHistogram : public QWidget {
    Q_OBJECT
public:
    explicit LengthHistogram(QWidget* parent = nullptr);

    // No bars, NOTE in their place (no tokenizer yet, lengths being counted).
    void showNote(const QString& note);
    // HISTOGRAM's bars for a truncation point of LIMIT tokens under the
    // template named TEMPLATELABEL; no bars when it has none.
    void showHistogram(const data::LengthHistogram& histogram, size_t limit, const QString& templateLabel);

    QBarSet* keptBars() const { return m_keptBars; }
    QBarSet* truncatedBars() const { return m_truncatedBars; }
    QString note() const;

private:
    void clearChart();

    QChart* m_chart = nullptr;
    QBarSet* m_keptBars = nullptr;
    QBarSet* m_truncatedBars = nullptr;
    QLabel* m_note = nullptr;
};

} // namespace tb::ui
