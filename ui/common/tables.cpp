#include "ui/common/tables.h"

#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QTableWidget>

#include <cmath>
#include <limits>

namespace tb::ui {

QTableWidget* makeReadOnlyTable(const QStringList& headers, const char* objectName)
{
    auto* t = new QTableWidget(0, static_cast<int>(headers.size()));
    t->setObjectName(objectName);
    t->setHorizontalHeaderLabels(headers);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->verticalHeader()->hide();
    t->horizontalHeader()->setStretchLastSection(true);
    return t;
}

NumberItem::NumberItem(const QString& text, std::optional<double> value) : QTableWidgetItem(text)
{
    if (value)
        setData(Qt::UserRole, *value);
    setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
}

bool NumberItem::operator<(const QTableWidgetItem& other) const
{
    auto key = [](const QTableWidgetItem& item) {
        const QVariant v = item.data(Qt::UserRole);
        return v.isValid() ? v.toDouble() : -std::numeric_limits<double>::infinity();
    };
    return key(*this) < key(other);
}

QString localNumber(double value, char format, int precision)
{
    return std::isfinite(value) ? QLocale().toString(value, format, precision) : QString();
}

QString localDateTime(qint64 msSinceEpoch)
{
    return QLocale().toString(QDateTime::fromMSecsSinceEpoch(msSinceEpoch), QLocale::ShortFormat);
}

QLabel* makeEmptyState(const QString& text, const char* objectName)
{
    auto* label = new QLabel(text);
    label->setObjectName(objectName);
    label->setAlignment(Qt::AlignCenter);
    label->setWordWrap(true);
    label->setMargin(24);
    label->setTextFormat(Qt::PlainText);
    return label;
}

} // namespace tb::ui
