#pragma once
// Tables of the panels and what they show when there is nothing to show:
// read-only tables (whole rows selected, no row numbers, the last column
// stretched), cells that show a number as the user's locale writes it but
// sort by the number, and the one-line empty state of a view.
#include <QString>
#include <QStringList>
#include <QTableWidgetItem>

#include <optional>

class QLabel;
class QTableWidget;

namespace tb::ui {

QTableWidget* makeReadOnlyTable(const QStringList& headers, const char* objectName);

// A cell showing `text` that sorts by `value` (kept in Qt::UserRole); cells
// without a value sort below every number.
class NumberItem : public QTableWidgetItem {
public:
    NumberItem(const QString& text, std::optional<double> value);
    bool operator<(const QTableWidgetItem& other) const override;
};

// A number as the user's locale writes it (QLocale(): "0,48" in German);
// empty for NaN and infinities. Exports use the C locale instead.
QString localNumber(double value, char format = 'g', int precision = 4);
// A stored time (ms since the epoch) in the locale's short date and time.
QString localDateTime(qint64 msSinceEpoch);

// The empty state of a view: one centred, word-wrapped line saying what to do.
QLabel* makeEmptyState(const QString& text, const char* objectName);

} // namespace tb::ui
