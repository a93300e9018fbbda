#include "ui/common/theme.h"

#include <QApplication>
#include <QProcess>
#include <QStandardPaths>
#include <QStyle>
#include <QStyleFactory>

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

} // namespace

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
    if (QApplication::style()->name().compare(QLatin1String("fusion"), Qt::CaseInsensitive) != 0)
        QApplication::setStyle(QStringLiteral("Fusion"));
    QApplication::setPalette(dark ? darkPalette() : lightPalette());
}

} // namespace tb::ui
