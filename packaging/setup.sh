#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine: installs whatever is
# missing, configures and builds, then runs the main job or the tests.
#   bash packaging/setup.sh run    # build, then the demonstration
#   bash packaging/setup.sh test   # build, then the test suite (what CI runs)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}

# Debian 12 packages. libopenblas0-pthread is required: LibTorch's matrix
# products run ~10x faster on it than on the reference BLAS.
packages=(
  build-essential cmake ninja-build pkg-config
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev libgl-dev
  qt6-tools-dev qt6-l10n-tools qt6-translations-l10n
  libtorch-dev libopenblas0-pthread libgloo-dev
  nlohmann-json3-dev libsqlite3-dev libcli11-dev
  libpcre2-dev libutf8proc-dev libsentencepiece-dev
  xvfb xauth
  appstream desktop-file-utils
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm for the llama.cpp interop test (tests/interop runs npm's
# node-llama-cpp). A Node.js from elsewhere (e.g. NodeSource, which bundles
# npm and conflicts with Debian's npm package) is used as it is.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

build=${TUNEBENCH_BUILD_DIR:-build}
jobs=$(nproc)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j "$jobs"

case "$mode" in
  test)
    # Benchmarks carry the `bench` label and run only on request. The `package`
    # test (packaging/check_deb.sh, ~15 s) builds, unpacks and starts the .deb.
    ctest --test-dir "$build" --output-on-failure -LE bench
    ;;
  run)
    # The main job: the desktop app on the built-in demo workspace (created
    # offline on first use, about half a minute), with its LoRA run ready to start.
    cli="$build/app/tunebench-cli"
    demo=${TUNEBENCH_DEMO_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/tunebench/demo}
    "$cli" demo --dir "$demo" >/dev/null
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
      exec "$build/app/tunebench" --db "$demo/runs.sqlite" --run-config "$demo/runs/lora.json"
    fi
    echo "setup: no display; training the demo's LoRA run on the command line instead" >&2
    "$cli" train --config "$demo/runs/lora.json" --db "$demo/runs.sqlite"
    ;;
  *)
    echo "usage: bash packaging/setup.sh [run|test]" >&2
    exit 2
    ;;
esac
