#include "ui/common/theme.h"

#include <QApplication>
#include <QPainter>
#include <QProcess>
#include <QProxyStyle>
#include <QStandardPaths>
#include <QStyle>
#include <QStyleFactory>
#include <QStyleOption>

#include <memory>

namespace tb::ui {

namespace {

// What the platform gave the application before any theme was applied.
struct Original {
    QPalette palette;
    QString style;
};

const Original& original()
{
    static const Original o{QApplication::palette(), QApplication::style() ? QApplication::style()->name() : QString()};
    return o;
}

bool gnomePrefersDark()
{
    const QString gsettings = QStandardPaths::findExecutable(QStringLiteral("gsettings"));
    if (gsettings.isEmpty() || qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"))
        return false;
    QProcess p;
    p.start(gsettings, {QStringLiteral("get"), QStringLiteral("org.gnome.desktop.interface"), QStringLiteral("color-scheme")});
    if (!p.waitForFinished(1000)) {
        p.kill();
        p.waitForFinished(200);
        return false;
    }
    return QString::fromUtf8(p.readAllStandardOutput()).contains(QLatin1String("prefer-dark"));
}

// Fusion outlines check boxes and radio buttons in the window colour made
// darker: on a dark window that border all but vanishes. This style draws
// Fusion's indicator, then (in a dark palette only) a border in the text
// colour toned down towards the window, so an unchecked box stays visible;
// the check mark is Fusion's own.
class ContrastStyle : public QProxyStyle {
public:
    ContrastStyle() : QProxyStyle(QStyleFactory::create(QStringLiteral("Fusion"))) { setObjectName(kName); }
    static constexpr const char* kName = "tunebench-fusion";

    void drawPrimitive(PrimitiveElement element, const QStyleOption* option, QPainter* painter,
                       const QWidget* widget) const override
    {
        QProxyStyle::drawPrimitive(element, option, painter, widget);
        if ((element != PE_IndicatorCheckBox && element != PE_IndicatorRadioButton) || !isDark(option->palette))
            return;
        painter->save();
        painter->setRenderHint(QPainter::Antialiasing, true);
        painter->setBrush(Qt::NoBrush);
        painter->setPen(QPen(indicatorBorder(option->palette), 1.0));
        const QRectF r = QRectF(option->rect).adjusted(0.5, 0.5, -0.5, -0.5);
        if (element == PE_IndicatorRadioButton)
            painter->drawEllipse(r);
        else
            painter->drawRect(r);
        painter->restore();
    }
};

} // namespace

QColor indicatorBorder(const QPalette& palette)
{
    // 60% of the way from the window colour to the text colour: about 4.5:1
    // against the dark window, well above WCAG's 3:1 for controls.
    const QColor a = palette.color(QPalette::Window), b = palette.color(QPalette::WindowText);
    const double t = 0.6;
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * t), float(a.greenF() + (b.greenF() - a.greenF()) * t),
                            float(a.blueF() + (b.blueF() - a.blueF()) * t));
}

QString themeName(Theme theme)
{
    switch (theme) {
    case Theme::Light: return QStringLiteral("light");
    case Theme::Dark: return QStringLiteral("dark");
    case Theme::System: break;
    }
    return QStringLiteral("system");
}

Theme themeFromName(const QString& name)
{
    if (name == QLatin1String("light"))
        return Theme::Light;
    if (name == QLatin1String("dark"))
        return Theme::Dark;
    return Theme::System;
}

bool isDark(const QPalette& palette) { return palette.color(QPalette::Window).lightness() < 128; }

bool systemPrefersDark()
{
    if (isDark(original().palette))
        return true;
    const QString gtk = qEnvironmentVariable("GTK_THEME").toLower();
    if (gtk.endsWith(QLatin1String(":dark")) || gtk.endsWith(QLatin1String("-dark")))
        return true;
    return gnomePrefersDark();
}

QPalette lightPalette()
{
    std::unique_ptr<QStyle> fusion(QStyleFactory::create(QStringLiteral("Fusion")));
    return fusion ? fusion->standardPalette() : QPalette(QColor(239, 239, 239));
}

QPalette darkPalette()
{
    const QColor window(45, 45, 48), base(30, 30, 32), text(230, 230, 230), disabled(128, 128, 128);
    const QColor highlight(64, 128, 200);
    QPalette p;
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, window);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, disabled);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, QColor(255, 80, 80));
    p.setColor(QPalette::Light, QColor(70, 70, 74));
    p.setColor(QPalette::Midlight, QColor(60, 60, 64));
    p.setColor(QPalette::Mid, QColor(40, 40, 42));
    p.setColor(QPalette::Dark, QColor(20, 20, 22));
    p.setColor(QPalette::Shadow, Qt::black);
    p.setColor(QPalette::Highlight, highlight);
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(110, 170, 240));
    p.setColor(QPalette::LinkVisited, QColor(170, 130, 230));
    for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, disabled);
    p.setColor(QPalette::Disabled, QPalette::Highlight, QColor(80, 80, 80));
    return p;
}

void applyTheme(Theme theme)
{
    const Original& o = original();
    const bool dark = theme == Theme::Dark || (theme == Theme::System && !isDark(o.palette) && systemPrefersDark());
    if (theme == Theme::System && (!dark || isDark(o.palette))) {
        if (!o.style.isEmpty() && QApplication::style()->name() != o.style)
            QApplication::setStyle(o.style);
        // An empty palette resolves to the platform's and keeps following it
        // when the desktop switches between light and dark.
        QApplication::setPalette(QPalette());
        return;
    }
    // The platform styles (GTK, Windows) ignore custom palettes; Fusion follows them.
    if (QApplication::style()->objectName() != QLatin1String(ContrastStyle::kName))
        QApplication::setStyle(new ContrastStyle); // the application owns it
    QApplication::setPalette(dark ? darkPalette() : lightPalette());
}

} // namespace tb::ui
