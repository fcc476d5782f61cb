#!/usr/bin/env bash
# Wall time of the whole suite in a checkout (default: this one) on SQLite or PostgreSQL,
# and its slowest test files: scripts/time-tests.sh [dir] [sqlite|pg] [pg-database]
set -euo pipefail
dir="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
db="${2:-sqlite}"
pg_database="${3:-gatehouse_time}"
cd "$dir"
export PATH="$PWD/node_modules/.bin:$PATH"
log="$(mktemp)"
start=$(date +%s.%N)
if [ "$db" = pg ]; then
  DB_CONNECTION=pg DB_DATABASE="$pg_database" npm test >"$log" 2>&1 || status=$?
else
  npm test >"$log" 2>&1 || status=$?
fi
end=$(date +%s.%N)
clean() { sed 's/\x1b\[[0-9;]*m//g' "$log"; }
# Per file: the sum of its tests' durations, slowest first.
clean | awk '
  /\(tests\/.*\.spec\.ts\)$/ { match($0, /\(tests\/[^)]*\)/); file = substr($0, RSTART + 1, RLENGTH - 2) }
  /✔|✖/ && match($0, /\([0-9.]+(ms|s)\)$/) {
    t = substr($0, RSTART + 1, RLENGTH - 2); ms = (t ~ /ms$/) ? t + 0 : t * 1000; sum[file] += ms
  }
  END { for (f in sum) printf "%8.1fs  %s\n", sum[f] / 1000, f }' | sort -rn | head -12
clean | grep -E '^ *(Tests|Time) ' || true
printf '%s %s wall: %.1fs (log: %s)\n' "$dir" "$db" "$(echo "$end - $start" | bc)" "$log"
exit "${status:-0}"
