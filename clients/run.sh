#!/usr/bin/env bash
# Drives the mock binary with public ConnectWise client libraries, unchanged, installed by name
# at pinned versions into a temporary directory (never committed):
#   pyconnectwise 0.6.1.2 (PyPI), connectpyse 0.8.1 (PyPI), connectwise-rest 1.3.0 (npm),
#   the connectwise-mcp 0.1.0 MCP server (PyPI), whose tools connectwise_mcp.py calls, and
#   the sync application django-connectwise 1.25.3 (PyPI), whose `cwsync --full`
#   django_connectwise/run.py runs into a throwaway SQLite database.
# pyconnectwise is driven twice: a scripted integration, then a walk of every GET endpoint
# class of its package (python_pyconnectwise_walk.py).
# Starts `mock-connectwise --listen 127.0.0.1:0 --tls` for the drivers and a second one with
# `--populate` for the walk (a record behind every GET path), and exits non-zero if any call
# of any driver failed. Needs python3 (with venv), node/npm and cargo.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="$(mktemp -d -t cw-clients-XXXXXX)"
mock_pid=""
walk_pid=""
cleanup() {
  if [[ -n "$mock_pid" ]]; then kill "$mock_pid" 2>/dev/null || true; fi
  if [[ -n "$walk_pid" ]]; then kill "$walk_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== installing clients into $work"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "pyconnectwise==0.6.1.2" "connectpyse==0.8.1" "connectwise-mcp==0.1.0"
npm install -s --no-audit --no-fund --prefix "$work/npm" "connectwise-rest@1.3.0" >/dev/null
# Its own venv: Django and its dependencies (pytz and botocore it imports without declaring).
python3 -m venv "$work/venv-dj"
"$work/venv-dj/bin/pip" install -q "django-connectwise==1.25.3" "Django==5.2.19" "pytz==2026.6" "botocore==1.44.18"

echo "== building and starting the mock (--tls)"
(cd "$root" && cargo build -q -p mock-connectwise)
# Starts the mock with --tls (and any further flags), its CW_* lines in $1/cw.env, and returns
# once it listens: it prints its settings then, CW_CA_CERT last. Its pid is left in $started.
start_mock() {
  local dir="$1"
  shift
  mkdir -p "$dir"
  "$root/target/debug/mock-connectwise" --listen 127.0.0.1:0 --tls --tls-cert-out "$dir/ca.pem" "$@" \
    >"$dir/cw.env" 2>"$dir/mock.log" &
  started=$!
  for _ in $(seq 1 300); do
    grep -q '^CW_CA_CERT=' "$dir/cw.env" 2>/dev/null && return 0
    kill -0 "$started" 2>/dev/null || { cat "$dir/mock.log"; exit 1; }
    sleep 0.1
  done
}
start_mock "$work"
mock_pid=$started
set -a; . "$work/cw.env"; set +a

status=0
echo "== pyconnectwise"
REQUESTS_CA_BUNDLE="$CW_CA_CERT" "$work/venv/bin/python" "$here/python_pyconnectwise.py" || status=1
echo "== pyconnectwise: every GET endpoint class of the package (a second mock, --populate)"
start_mock "$work/walk" --populate
walk_pid=$started
(set -a; . "$work/walk/cw.env"; set +a
 REQUESTS_CA_BUNDLE="$CW_CA_CERT" "$work/venv/bin/python" "$here/python_pyconnectwise_walk.py") || status=1
kill "$walk_pid" 2>/dev/null || true; walk_pid=""
echo "== connectpyse"
REQUESTS_CA_BUNDLE="$CW_CA_CERT" "$work/venv/bin/python" "$here/python_connectpyse.py" || status=1
echo "== connectwise-rest"
NODE_EXTRA_CA_CERTS="$CW_CA_CERT" CW_NODE_PREFIX="$work/npm" node "$here/node_connectwise_rest.mjs" || status=1
echo "== connectwise-mcp: every tool, no silent gap but its known bugs"
# The server is the top-level module `server` of its package; it calls with urllib.
site="$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
(cd "$site" && SSL_CERT_FILE="$CW_CA_CERT" "$work/venv/bin/python" "$here/connectwise_mcp.py") || status=1
echo "== django-connectwise: a full sync stores every table the tenant fills"
REQUESTS_CA_BUNDLE="$CW_CA_CERT" DJ_DB="$work/dj.sqlite3" "$work/venv-dj/bin/python" "$here/django_connectwise/run.py" || status=1

# No call may have been answered with a 5xx.
if curl -sf --cacert "$CW_CA_CERT" "$CW_URL/__mock/requests?status=500&limit=5" | grep -q '"requests":\[{'; then
  echo "FAIL the mock answered 500"; status=1
fi
exit "$status"
