#!/usr/bin/env bash
# Nightly exposure scan, for cron or a systemd timer. Keeps one dated report
# per run, compares each run with the previous one (--baseline), and exits with
# the scan's status so the scheduler can alert: 0 clean, 1 vulnerable hosts
# found, 2 the scan could not run, was interrupted, or judged nothing.
set -u
INVENTORY=${INVENTORY:-/etc/exchange-exposure/inventory.csv}
STATE_DIR=${STATE_DIR:-/var/lib/exchange-exposure}
BIN=${BIN:-exchange-exposure}
EXTRA_ARGS=${EXTRA_ARGS:-}

mkdir -p "$STATE_DIR"
day=$(date -u +%Y-%m-%d)
report="$STATE_DIR/exposure-$day.csv"
# A second run on one day gets its own file: -o may not name the baseline.
n=1
while [ -e "$report" ]; do
  report="$STATE_DIR/exposure-$day.$n.csv"
  n=$((n + 1))
done
baseline=()
[ -f "$STATE_DIR/latest.csv" ] && baseline=(--baseline "$STATE_DIR/latest.csv")

# shellcheck disable=SC2086 # EXTRA_ARGS is a list of flags
"$BIN" scan "$INVENTORY" -o "$report" "${baseline[@]}" $EXTRA_ARGS 2>"$STATE_DIR/last-summary.txt"
status=$?
# Quiet when all is well (cron mails only output); the summary when not,
# without the progress lines a long run writes every --stats-every seconds.
[ "$status" -ne 0 ] && grep -v '^progress: ' "$STATE_DIR/last-summary.txt" >&2

# The report is complete whenever it exists (written atomically); an
# interrupted run (status 2) still wrote every row, as not-scanned, but a run
# that exits 2 never becomes the next baseline.
if [ -f "$report" ] && [ "$status" -ne 2 ]; then
  ln -sfn "$report" "$STATE_DIR/latest.csv"
fi
exit "$status"
