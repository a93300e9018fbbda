#!/usr/bin/env bash
# Screenshots of every panel with real data, under Xvfb: builds the demo
# workspace if needed, trains its LoRA run in the window, saves one PNG per tab.
#   bash packaging/screenshots.sh [OUT_DIR]   (after packaging/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-screenshots}
build=${TUNEBENCH_BUILD_DIR:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/app/tunebench-cli" demo --dir "$work/demo" >/dev/null
xvfb-run -a -s "-screen 0 1280x900x24" \
  "$build/app/tunebench" --db "$work/demo/runs.sqlite" --run-config "$work/demo/runs/lora.json" \
  --start --screenshots "$out"
ls "$out"
