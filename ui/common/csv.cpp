#include "ui/common/csv.h"

#include <algorithm>

namespace tb::ui {

QString csvCell(const QString& text)
{
    static const QString special = QStringLiteral(",\"\n\r");
    if (std::none_of(text.begin(), text.end(), [](QChar c) { return special.contains(c); }))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

} // namespace tb::ui
