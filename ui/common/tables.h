#pragma once
// Read-only tables of the detail views: whole rows selected, no row numbers,
// the last column stretched.
#include <QStringList>

class QTableWidget;

namespace tb::ui {

QTableWidget* makeReadOnlyTable(const QStringList& headers, const char* objectName);

} // namespace tb::ui
