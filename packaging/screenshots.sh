#!/usr/bin/env bash
# Screenshots of every panel with real data, under Xvfb: builds the demo
# workspace, trains one run on the command line and its LoRA run in the
# window, evaluates both and the base, stores a forgetting analysis, and saves
# one PNG per tab: while training (OUT), complete in the light theme
# (OUT/complete) and in the dark theme (OUT/dark).
#   bash packaging/screenshots.sh [OUT_DIR]   (after packaging/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-screenshots}
build=${TUNEBENCH_BUILD_DIR:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Window layout and theme go to a throw-away settings folder, not the user's.
export XDG_CONFIG_HOME="$work/config"
cli="$build/app/tunebench-cli"
db="$work/demo/runs.sqlite"
suite="$work/demo/suites/demo.json"
"$cli" demo --dir "$work/demo" >/dev/null
# A first run trained from the command line (bottleneck adapters on the
# summaries), evaluated with the base model, so the comparison has columns.
"$cli" train --config "$work/demo/runs/adapter.json" --db "$db" >/dev/null 2>&1
"$cli" eval --model "$work/demo/base" --suite "$suite" --db "$db" >/dev/null
"$cli" eval --run 1 --suite "$suite" --db "$db" >/dev/null
# The LoRA run trains in the window; the shots are taken when it finishes.
xvfb-run -a -s "-screen 0 1280x900x24" \
  "$build/app/tunebench" --db "$db" --run-config "$work/demo/runs/lora.json" \
  --start --screenshots "$out"
# Evaluate it too, and store a forgetting analysis over both runs.
"$cli" eval --run 2 --suite "$suite" --db "$db" >/dev/null
"$cli" forgetting --suite "$suite" --runs 1,2 --db "$db" >/dev/null
xvfb-run -a -s "-screen 0 1280x900x24" \
  "$build/app/tunebench" --db "$db" --run-config "$work/demo/runs/lora.json" \
  --theme light --screenshots "$out/complete"
# The same workspace (now with its trained run) in the dark theme.
xvfb-run -a -s "-screen 0 1280x900x24" \
  "$build/app/tunebench" --db "$db" --run-config "$work/demo/runs/lora.json" \
  --theme dark --screenshots "$out/dark"
ls "$out" "$out/complete" "$out/dark"
