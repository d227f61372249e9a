#!/usr/bin/env bash
# Runs one command against a fresh local dev identity server: starts
# `$WI_DEVSERVER --port 0`, reads the port from its first stdout line, exports
# the COZE_* variables of the default dev client (dev-client / dev-secret) and
# WI_DEVSERVER_PORT (for the server's /_dev/ control API), runs the command,
# and stops the server, also when the command fails or is interrupted.
# Exits with the command's status.
#
# Usage: with-devserver.sh COMMAND [ARGUMENT]...
# WI_DEVSERVER: the dev server binary (default ../../target/release/wi-devserver).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
devserver=${WI_DEVSERVER:-$here/../../target/release/wi-devserver}
[ -x "$devserver" ] || { echo "dev server not found at $devserver (set WI_DEVSERVER or run make build)" >&2; exit 1; }
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGUMENT]..." >&2; exit 2; }

log=$(mktemp "${TMPDIR:-/tmp}/wi-devserver.XXXXXX")
server_pid=
stop() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -f "$log"
}
trap stop EXIT
trap 'exit 130' INT TERM

# Its stdout goes to a file, not a pipe: a pipe nobody drains would block the
# server once its per-request lines filled the pipe buffer.
"$devserver" --port 0 >"$log" &
server_pid=$!

port=
for _ in $(seq 200); do
  first_line=$(head -n 1 "$log")
  if [[ $first_line =~ ^listening\ on\ http://127\.0\.0\.1:([0-9]+)$ ]]; then port=${BASH_REMATCH[1]}; break; fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.05
done
[ -n "$port" ] || { echo "the dev server did not start; its output:" >&2; cat "$log" >&2; exit 1; }

base=http://127.0.0.1:$port
export WI_DEVSERVER_PORT=$port
export COZE_WORKLOAD_IDENTITY_CLIENT_ID=dev-client
export COZE_WORKLOAD_IDENTITY_CLIENT_SECRET=dev-secret
export COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT=$base/oauth/token
export COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT=$base/oauth/exchange
export COZE_OUTBOUND_AUTH_ENDPOINT=$base/outbound
unset COZE_SERVER_ENV

"$@"
