#!/usr/bin/env bash
# The million-member state round trip, through the release binary (too slow for a debug test):
#   cargo build --release -p mock-connectwise && mock-connectwise/tests/state_roundtrip_1m.sh [MEMBERS]
# Starts a mock with MEMBERS generated members (default 1,000,000) on a new state file, exports
# its state, imports the export into a second mock, checks that the second one's export is the
# same document (but for "generation"), restarts the second one from its state file and checks
# again. Prints each step's time and the peak RSS of each mock. Exits non-zero on any mismatch.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-target/release/mock-connectwise}
N=${1:-1000000}
DIR=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$DIR"; }
trap cleanup EXIT

# start NAME ARGS...: runs the mock, waits for CW_URL, sets URL and PID.
start() {
  local name=$1; shift
  local t0=$(date +%s.%N)
  "$BIN" --listen 127.0.0.1:0 --no-ui "$@" > "$DIR/$name.out" 2> "$DIR/$name.err" &
  PID=$!; PIDS+=("$PID")
  until grep -q '^CW_URL=' "$DIR/$name.out" 2>/dev/null; do
    kill -0 "$PID" 2>/dev/null || { cat "$DIR/$name.err"; exit 1; }
    sleep 0.2
  done
  URL=$(sed -n 's/^CW_URL=//p' "$DIR/$name.out")
  echo "$name: listening after $(echo "$(date +%s.%N) - $t0" | bc) s"
}
peak() { awk '/VmHWM/ {printf "%d MB", $2/1024}' "/proc/$1/status"; }
# The document from "tenants" on: the part that is data ("generation" counts replacements).
body_offset() { head -c 4096 "$1" | grep -bo '"tenants"' | head -1 | cut -d: -f1; }

start first --members "$N" --state-file "$DIR/first.db"
FIRST=$PID
t0=$(date +%s.%N)
curl -sf "$URL/__mock/state" -o "$DIR/export.json"
echo "export: $(stat -c %s "$DIR/export.json") bytes in $(echo "$(date +%s.%N) - $t0" | bc) s; first mock peak RSS $(peak "$FIRST")"
kill -9 "$FIRST"

start second --state-file "$DIR/second.db"
SECOND=$PID
t0=$(date +%s.%N)
# -T streams the file (--data-binary @file would read 1.6 GB into curl's memory first).
curl -sf -X POST -H 'content-type: application/json' -T "$DIR/export.json" "$URL/__mock/state" > "$DIR/import.out"
echo "import: $(cat "$DIR/import.out") in $(echo "$(date +%s.%N) - $t0" | bc) s; second mock peak RSS $(peak "$SECOND")"
curl -sf "$URL/__mock/state" -o "$DIR/again.json"
cmp -i "$(body_offset "$DIR/export.json"):$(body_offset "$DIR/again.json")" "$DIR/export.json" "$DIR/again.json"
echo "the import's export is the export"
kill -9 "$SECOND"

start restarted --state-file "$DIR/second.db"
grep -o 'state restored.*' "$DIR/restarted.err" | sed 's/\x1b\[[0-9;]*m//g' || true
curl -sf "$URL/__mock/state" -o "$DIR/restarted.json"
cmp -i "$(body_offset "$DIR/export.json"):$(body_offset "$DIR/restarted.json")" "$DIR/export.json" "$DIR/restarted.json"
echo "restarted from the state file ($(stat -c %s "$DIR/second.db") bytes): the same document; peak RSS $(peak "$PID")"
echo "round trip of $N members: ok"
