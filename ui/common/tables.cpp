#include "ui/common/tables.h"

#include <QHeaderView>
#include <QTableWidget>

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

} // namespace tb::ui
