#!/usr/bin/env bash
# Nightly exposure scan, for cron or a systemd timer. Keeps one dated report
# per run, compares each run with the previous one (--baseline), and exits with
# the scan's status so the scheduler can alert: 0 clean, 1 vulnerable hosts
# found, 2 the scan could not run, was interrupted, or judged nothing.
# FAIL_ON_CHANGE=new,regressed alerts on what got worse since the previous
# run instead of on the same known hosts every night (with FAIL_ON= to stop
# alerting on statuses); ACCEPT=FILE names accepted risks (--accept).
# Before the scan, `data update` refreshes the data from Microsoft (or
# EXCHANGE_EXPOSURE_MIRROR) into EXCHANGE_EXPOSURE_DATA_DIR; DATA_UPDATE=no
# skips it (air-gapped sites import data instead: docs/data.md).
set -u
INVENTORY=${INVENTORY:-/etc/exchange-exposure/inventory.csv}
STATE_DIR=${STATE_DIR:-/var/lib/exchange-exposure}
BIN=${BIN:-exchange-exposure}
EXTRA_ARGS=${EXTRA_ARGS:-}
FAIL_ON_CHANGE=${FAIL_ON_CHANGE:-}
ACCEPT=${ACCEPT:-}

mkdir -p "$STATE_DIR"

# A failed update must not stop the scan: it warns, and the scan judges with
# the data it has (the report's data_id/data_origin/data_confirmed say which).
if [ "${DATA_UPDATE:-yes}" != no ]; then
  if ! "$BIN" data update --quiet 2>"$STATE_DIR/last-update.txt"; then
    echo "exchange-exposure nightly: warning: data update failed; scanning with the data in use:" >&2
    cat "$STATE_DIR/last-update.txt" >&2
  fi
fi
day=$(date -u +%Y-%m-%d)
report="$STATE_DIR/exposure-$day.csv"
# A second run on one day gets its own file: -o may not name the baseline.
n=1
while [ -e "$report" ]; do
  report="$STATE_DIR/exposure-$day.$n.csv"
  n=$((n + 1))
done
baseline=()
if [ -f "$STATE_DIR/latest.csv" ]; then
  baseline=(--baseline "$STATE_DIR/latest.csv")
  # A change is counted from a baseline: the first night has none.
  [ -n "$FAIL_ON_CHANGE" ] && baseline+=(--fail-on-change "$FAIL_ON_CHANGE")
fi
[ -n "${FAIL_ON+set}" ] && baseline+=(--fail-on "$FAIL_ON")
[ -n "$ACCEPT" ] && baseline+=(--accept "$ACCEPT")

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
