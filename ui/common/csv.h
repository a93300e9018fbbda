#pragma once
// CSV exports of the panels (RFC 4180): one field, quoted when it holds a
// comma, a quote or a line break.
#include <QString>

namespace tb::ui {

QString csvCell(const QString& text);

} // namespace tb::ui
