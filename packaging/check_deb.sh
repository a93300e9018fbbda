#!/usr/bin/env bash
# Builds the Debian package with CPack, unpacks it into a temporary root with
# `dpkg -x` and starts both programs from there; checks that the desktop file,
# AppStream metadata, icons, translations, the CLI's LibTorch half and the SentencePiece module are in
# it. As root with CI set it also installs the package (`dpkg -i`), starts the
# installed programs and removes it again.
#   bash packaging/check_deb.sh [BUILD_DIR]      (after packaging/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:-${TUNEBENCH_BUILD_DIR:-build}}" && pwd)
fail() { echo "check_deb: $*" >&2; exit 1; }

cmake --build "$build" --target tunebench tunebench-cli tunebench_spm
rm -f "$build"/tunebench_*.deb
(cd "$build" && cpack -G DEB >/dev/null) || fail "cpack failed (see $build/_CPack_Packages)"
deb=$(ls "$build"/tunebench_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "cpack wrote no tunebench_*.deb into $build"
echo "check_deb: built $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb --field "$deb" Package Version Depends

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg -x "$deb" "$root"
for f in usr/bin/tunebench usr/bin/tunebench-cli usr/lib/tunebench/tunebench-cli-engine \
         usr/lib/tunebench/libtunebench_spm.so \
         usr/share/applications/io.github.tunebench.Tunebench.desktop \
         usr/share/metainfo/io.github.tunebench.Tunebench.metainfo.xml \
         usr/share/icons/hicolor/scalable/apps/io.github.tunebench.Tunebench.svg \
         usr/share/icons/hicolor/256x256/apps/io.github.tunebench.Tunebench.png \
         usr/share/tunebench/translations/tunebench_de.qm; do
  [ -f "$root/$f" ] || fail "missing from the package: /$f"
done
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$root/usr/share/applications/io.github.tunebench.Tunebench.desktop"
fi
if command -v appstreamcli >/dev/null; then
  appstreamcli validate --no-net "$root/usr/share/metainfo/io.github.tunebench.Tunebench.metainfo.xml" >/dev/null
fi

export QT_QPA_PLATFORM=offscreen
start() { # $1 = folder holding the programs
  "$1/tunebench" --help | grep -q -- "--run-config" || fail "$1/tunebench --help"
  "$1/tunebench" --lang de --help | grep -q "Sprachmodelle" || fail "$1/tunebench --lang de: no German help text"
  # --help runs in tunebench-cli-engine: tunebench-cli finds it in ../lib/tunebench.
  "$1/tunebench-cli" --help | grep "forgetting" >/dev/null || fail "$1/tunebench-cli --help (the engine half)"
  "$1/tunebench-cli" --version | grep "tunebench-cli" >/dev/null || fail "$1/tunebench-cli --version"
}
start "$root/usr/bin"
echo "check_deb: the unpacked package starts"

if [ "$(id -u)" -eq 0 ] && [ -n "${CI:-}" ]; then
  dpkg -i "$deb"
  start /usr/bin
  dpkg -r tunebench >/dev/null
  echo "check_deb: dpkg -i installed it and the installed programs start"
fi
