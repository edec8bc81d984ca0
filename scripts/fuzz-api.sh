#!/usr/bin/env bash
# Property-based fuzzing of the REST API from its own OpenAPI document (quality.md, "Bad input":
# "fuzzing of the whole API from its OpenAPI document"), with Schemathesis and every one of its
# checks. For each store (SQLite, then Postgres on a throwaway cluster) it starts
# target/debug/havip on a fresh database with the demo data, makes API tokens, and runs
# `schemathesis run` against /api/v1/openapi.json; the checks' settings and the reasons for
# them are in schemathesis.toml at the repository root. Any failure makes the script fail.
#
# Needs target/debug/havip (`cargo build -p server`); installs Schemathesis into .venv itself.
# Bounds: --max-examples test cases per operation and pass; --max-time seconds per store, for
# which Schemathesis repeats its fuzzing and stateful passes (about 2.5 minutes for both).
# Knobs (environment): FUZZ_STORES ("sqlite postgres"), FUZZ_MAX_EXAMPLES (25),
# FUZZ_MAX_TIME (seconds per store, 75), FUZZ_WORKERS (1), FUZZ_SEED (20261204, or random).
# One worker: on two cores it sends more requests than two (the server needs the other core),
# and Python 3.11's ast module is not thread-safe (CPython gh-106905): Hypothesis, parsing
# its filters' sources from two workers at once, sometimes dies with "AST constructor
# recursion depth mismatch".
# What a run leaves: target/fuzz-api/<store>/ with Schemathesis's output, the server's log and
# a JUnit report; target/fuzz-api/cache, from which Schemathesis replays earlier failures first.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

SCHEMATHESIS_VERSION=4.32.5
stores=${FUZZ_STORES:-sqlite postgres}
max_examples=${FUZZ_MAX_EXAMPLES:-25}
max_time=${FUZZ_MAX_TIME:-75}
workers=${FUZZ_WORKERS:-1}
# A fixed seed by default, so that make test fuzzes the same way every time and a failure can
# be replayed; FUZZ_SEED=random explores anew.
seed=${FUZZ_SEED:-20261204}
[ "$seed" = random ] && seed=$((RANDOM * 32768 + RANDOM))
bin=$root/target/debug/havip
venv=$root/.venv
out=$root/target/fuzz-api

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf '\033[31merror: %s\033[0m\n' "$*" >&2; exit 1; }

[ -x "$bin" ] || fail "$bin is missing: build it first (cargo build -p server)"

# --- Schemathesis, pinned, in the project's virtual environment ---------------------------------
if [ "$("$venv/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
  command -v python3 >/dev/null || fail "python3 is missing: install Python 3.9 or newer (with its venv module)"
  if [ ! -x "$venv/bin/python" ]; then
    say "creating the Python virtual environment .venv"
    python3 -m venv "$venv" || fail "could not create .venv (on Debian: apt-get install python3-venv)"
  fi
  say "installing schemathesis $SCHEMATHESIS_VERSION into .venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# --- Everything started here is stopped on the way out --------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/havip-fuzz.XXXXXX")
server_pid=
pg_dir=
as_postgres=
pg() { if [ -n "$as_postgres" ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
stop_postgres() {
  if [ -n "$pg_dir" ]; then
    pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
    pg_dir=
  fi
}
cleanup() {
  stop_server
  stop_postgres
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { "$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# A throwaway Postgres cluster (as testkit/src/postgres.rs makes them): trust auth on 127.0.0.1,
# no fsync; sets database_args to a fresh database on it.
start_postgres() {
  pg_bin=${HAVIP_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
  [ -x "$pg_bin/initdb" ] || fail "Postgres server binaries not found under /usr/lib/postgresql (or set HAVIP_PG_BIN)"
  [ "$(id -u)" = 0 ] && as_postgres=1
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/havip-fuzz-pg.XXXXXX")
  [ -n "$as_postgres" ] && chown postgres:postgres "$pg_dir"
  pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --no-sync --no-instructions >/dev/null
  local port
  port=$(free_port)
  pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$pg_dir/log" >&2; fail "Postgres did not start"; }
  pg "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres havip_fuzz
  database_args=(--database-url "postgres://postgres@127.0.0.1:$port/havip_fuzz")
}

# Starts the server with the demo data on a free port; sets address.
start_server() {
  local log=$1
  "$bin" serve --listen 127.0.0.1:0 --demo "${database_args[@]}" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    address=$(sed -n 's|^HAVIP Console is at http://\([^/ ]*\)/havips.*|\1|p' "$log" | head -n 1)
    [ -n "$address" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; fail "the server exited before it listened"; }
    sleep 0.1
  done
  cat "$log" >&2
  fail "the server did not say where it listens within 60 s"
}

new_token() { "$bin" token create --username "$1" "${database_args[@]}" | tail -n 1; }

# Runs one store and appends a line to the summary; a failure of the checks sets failed=1 (the
# store after it still runs), any other error ends the script.
fuzz_store() {
  local store=$1 dir=$out/$1
  rm -rf "$dir" && mkdir -p "$dir"
  database_args=(--data-dir "$work/$store")
  [ "$store" = postgres ] && start_postgres
  say "$store: starting target/debug/havip on a fresh database with the demo data"
  start_server "$dir/server.log"

  # demo is the fuzzing identity; acme (the demo's second tenant) is its peer for
  # object_level_authorization. DELETE /tokens/{id} revokes the caller's own token, so it runs as
  # a user of its own (fuzz-revoker, same tenant): it can never revoke demo's token, and a
  # request that tried would show as a success where a 404 was due.
  local demo_token acme_token
  demo_token=$(new_token demo)
  acme_token=$(new_token acme)
  "$bin" user create --tenant demo --username fuzz-revoker "${database_args[@]}" </dev/null >/dev/null
  HAVIP_FUZZ_REVOKER_TOKEN=$(new_token fuzz-revoker)
  # The users' routes run as the admin of a tenant of their own (fuzz-users): the fuzzer finds
  # user IDs in their answers and resets, disables and deletes those users, which in demo's
  # tenant would end demo's and fuzz-revoker's tokens and with them the rest of the run.
  "$bin" user create --tenant fuzz-users --username fuzz-user-admin --admin "${database_args[@]}" </dev/null >/dev/null
  HAVIP_FUZZ_USER_ADMIN_TOKEN=$(new_token fuzz-user-admin)
  export HAVIP_FUZZ_USER_ADMIN_TOKEN
  # The identities' Authorization headers, in the Web Fuzzing Commons format ([auth.wfc]).
  HAVIP_FUZZ_AUTH=$work/auth-$store.json
  export HAVIP_FUZZ_REVOKER_TOKEN HAVIP_FUZZ_AUTH
  cat >"$HAVIP_FUZZ_AUTH" <<EOF
{"auth": [
  {"name": "demo", "fixedHeaders": [{"name": "Authorization", "value": "Bearer $demo_token"}]},
  {"name": "acme", "fixedHeaders": [{"name": "Authorization", "value": "Bearer $acme_token"}]}
]}
EOF

  # What the document cannot state (an opaque page token) is told through hooks (fuzz_hooks.py).
  export PYTHONPATH="$root/scripts${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=fuzz_hooks
  # A request that takes 30 s has hung; under that, a busy machine is not a failure.
  local command=("$venv/bin/schemathesis" --config-file "$root/schemathesis.toml" run
    "http://$address/api/v1/openapi.json"
    --checks all --max-examples "$max_examples" --max-time "$max_time" --workers "$workers" --seed "$seed"
    --request-timeout 30 --no-color
    --report junit --report-junit-path "$dir/junit.xml")
  say "$store: ${command[*]}"
  local started status=0
  started=$(date +%s.%N)
  "${command[@]}" 2>&1 | tee "$dir/schemathesis.log" || status=$?
  local seconds
  seconds=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
  # The server's own count of the requests it answered, by status class, from its /metrics
  # (its histogram's _count series).
  local requests
  requests=$("$venv/bin/python" - "http://$address/metrics" <<'PY' 2>/dev/null || echo '?'
import collections, re, sys, urllib.request
text = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode()
series = r'^havip_http_(?:request_duration_seconds_count|requests_total)\{.*\bclass="(\dxx)".*\} (\d+)$'
counts = collections.Counter()
for status_class, n in re.findall(series, text, re.M):
    counts[status_class] += int(n)
print(f"{sum(counts.values())} ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()) if v)})")
PY
)
  stop_server
  [ "$store" = postgres ] && stop_postgres
  local cases
  cases=$(sed -n 's/^ *\([0-9][0-9]*\) generated.*/\1/p' "$dir/schemathesis.log" | tail -n 1)
  summary+=("$(printf '%-8s %-6s  %5s s  test cases: %-6s  requests: %s' "$store" \
    "$([ "$status" = 0 ] && echo passed || echo FAILED)" "$seconds" "${cases:-?}" "$requests")")
  if [ "$status" != 0 ]; then failed=1; fi
}

mkdir -p "$out"
summary=()
failed=0
say "schemathesis $SCHEMATHESIS_VERSION, seed $seed (repeat a run with FUZZ_SEED=$seed)"
for store in $stores; do
  case $store in sqlite | postgres) ;; *) fail "unknown store $store (sqlite or postgres)" ;; esac
  fuzz_store "$store"
done

echo
say "API fuzzing summary (seed $seed; logs and reports in target/fuzz-api/)"
printf '%s\n' "${summary[@]}"
exit "$failed"
