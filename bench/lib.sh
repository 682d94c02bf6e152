# Shared by the benchmark scripts: a fresh database with a signed-up admin and an API token,
# the release server started on it, wrk runs, and cleanup. Source it; do not run it.

bin="${CARGO_TARGET_DIR:-target}/release/crm"
[ -x "$bin" ] || { echo "no release build at $bin: run 'make build' first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/crm-bench.XXXXXX")
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

export DATABASE_URL="sqlite://$work/bench.db"
export RUST_LOG=warn
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# bench_database DEMO-DATA-ARGS…: migrates, adds the admin, loads demo data; sets $token and
# $load_secs.
bench_database() {
  "$bin" migrate >/dev/null
  echo "bench password 0123456789" | "$bin" user create --email bench@example.com --name Bench --role admin --password-stdin >/dev/null
  token=$("$bin" token create --email bench@example.com --label bench | tail -n 1)
  export CRM_BENCH_TOKEN=$token
  local start
  start=$(date +%s%N)
  "$bin" demo-data "$@" --seed 7 >/dev/null
  load_secs=$(( ($(date +%s%N) - start) / 1000000 ))e-3
}

# bench_serve PORT: starts the release server; sets $base and $server_pid.
bench_serve() {
  LEPTOS_SITE_ADDR="127.0.0.1:$1" "$bin" serve >"$work/server.log" 2>&1 &
  server_pid=$!
  base="http://127.0.0.1:$1"
  for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && return; sleep 0.1; done
  echo "the server did not start: $(cat "$work/server.log")" >&2
  exit 1
}

# wrk_json CONNECTIONS SECONDS URL: one JSON line of p50/p95/p99 (µs), req/s and failures.
wrk_json() {
  local threads=2
  [ "$1" -lt 2 ] && threads=1
  wrk -t"$threads" -c"$1" -d"$2s" -s bench/wrk-report.lua "$3" | sed -n 's/^RESULT //p'
}

# wrk_median RUNS CONNECTIONS SECONDS URL: RUNS wrk runs, interleaved with nothing else; the
# run with the median req/s, its failures replaced by the failures of all runs. The machine is
# shared and one run can land on a noisy moment: the median run is the figure to quote.
wrk_median() {
  local runs=$1 lines=""
  shift
  for _ in $(seq 1 "$runs"); do
    lines+="$(wrk_json "$@")"$'\n'
  done
  python3 -c '
import json, sys
runs = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
runs.sort(key=lambda r: r["rps"])
median = dict(runs[len(runs) // 2])
median["failed"] = sum(r["failed"] for r in runs)
print(json.dumps(median))
' "$lines"
}

# api GET-PATH: the answer of an API call, with the token.
api() {
  curl -sf -H "Authorization: Bearer $token" "$base$1"
}

peak_rss_mb() {
  awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$server_pid/status"
}
