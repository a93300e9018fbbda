#pragma once
// Light and dark palettes. Qt 6.4 has no colour-scheme API, so "System"
// keeps the platform's palette and, where that palette is light although the
// desktop asks for dark (GTK_THEME=...:dark, GNOME's color-scheme
// 'prefer-dark'), switches to the dark Fusion palette itself.
#include <QColor>
#include <QPalette>
#include <QString>

namespace tb::ui {

enum class Theme { System, Light, Dark };

QString themeName(Theme theme); // "system", "light", "dark" (the QSettings value)
Theme themeFromName(const QString& name); // unknown names give System

// Whether the desktop asks for dark: the platform palette's window colour,
// GTK_THEME, then `gsettings get org.gnome.desktop.interface color-scheme`.
bool systemPrefersDark();
bool isDark(const QPalette& palette);

QPalette lightPalette();
QPalette darkPalette();

// The border the light and dark themes' style draws around check box and
// radio button indicators in a dark palette (Fusion's own nearly vanishes there).
QColor indicatorBorder(const QPalette& palette);

// Sets the application's style (Fusion, with visible indicators in the dark)
// and palette; widgets see a PaletteChange.
void applyTheme(Theme theme);

} // namespace tb::ui
