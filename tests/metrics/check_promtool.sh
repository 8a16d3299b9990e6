#!/bin/sh
# Runs `promtool check metrics` on the output of the command given (the rendered sample, or a
# saved scrape). Fails, never skips, when promtool is missing: setup installs it (prometheus).
set -eu
if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool not found: install Debian's 'prometheus' package (scripts/setup does)" >&2
  exit 1
fi
output=$("$@")
[ -n "$output" ] || { echo "no metrics from: $*" >&2; exit 1; }
printf '%s\n' "$output" | promtool check metrics
