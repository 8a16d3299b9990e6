#!/bin/sh
# Runs `promtool check metrics` on the output of the command given (the rendered sample, or a
# saved scrape). Fails, never skips, when promtool is missing: scripts/setup unpacks it into
# .tools/bin (PPCS_TOOLS_DIR overrides where it is looked for first).
set -eu
tools=${PPCS_TOOLS_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/.tools/bin}
if [ -x "$tools/promtool" ]; then
  promtool="$tools/promtool"
elif command -v promtool >/dev/null 2>&1; then
  promtool=promtool
else
  echo "promtool not found in $tools or on PATH: scripts/setup unpacks it there" >&2
  exit 1
fi
output=$("$@")
[ -n "$output" ] || { echo "no metrics from: $*" >&2; exit 1; }
printf '%s\n' "$output" | "$promtool" check metrics
