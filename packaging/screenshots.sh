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
# Window layout and theme go to a throw-away settings folder, not the user's.
export XDG_CONFIG_HOME="$work/config"
"$build/app/tunebench-cli" demo --dir "$work/demo" >/dev/null
xvfb-run -a -s "-screen 0 1280x900x24" \
  "$build/app/tunebench" --db "$work/demo/runs.sqlite" --run-config "$work/demo/runs/lora.json" \
  --start --screenshots "$out"
# The same workspace (now with its trained run) in the dark theme.
xvfb-run -a -s "-screen 0 1280x900x24" \
  "$build/app/tunebench" --db "$work/demo/runs.sqlite" --run-config "$work/demo/runs/lora.json" \
  --theme dark --screenshots "$out/dark"
ls "$out" "$out/dark"
