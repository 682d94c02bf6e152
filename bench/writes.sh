#!/usr/bin/env bash
# The write tail under mixed load: 32 clients creating leads while 32 read lead lists, on
# SQLite with N leads, next to the same reads alone and the same creates alone. SQLite has one
# writer; the server queues writers fairly in the process, so the slowest create stays near a
# few commits' time instead of losing races on the busy timeout.
#
#   bench/writes.sh [--leads N] [--duration SECONDS] [--writers W] [--readers R] [--out FILE]
#
# Target: create p99 ≤ 100 ms at the mixed load, list p99 within noise of reads alone.
set -euo pipefail
cd "$(dirname "$0")/.."

leads=200000
duration=15
writers=32
readers=32
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --leads) leads=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --writers) writers=$2; shift 2 ;;
    --readers) readers=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

source bench/lib.sh
say "loading $leads leads (crm demo-data)"
bench_database --leads "$leads"
bench_serve "${CRM_BENCH_PORT:-3954}"
list="$base/api/crm/leads?status=new&sort=-created_at&limit=50"

write_run() {
  wrk -t1 -c"$1" -d"${duration}s" --timeout 10s -s bench/create-lead.lua "$base" | sed -n 's/^RESULT //p'
}

say "reads alone: $readers clients"
reads_alone=$(wrk_json "$readers" "$duration" "$list")
say "creates alone: $writers clients"
writes_alone=$(write_run "$writers")
say "mixed: $writers creating while $readers read"
wrk -t1 -c"$readers" -d"${duration}s" -s bench/wrk-report.lua "$list" | sed -n 's/^RESULT //p' >"$work/mixed-reads" &
reader=$!
mixed_writes=$(write_run "$writers")
wait "$reader"
mixed_reads=$(cat "$work/mixed-reads")

report=$(python3 - "$leads" "$writers" "$readers" "$reads_alone" "$writes_alone" "$mixed_reads" "$mixed_writes" <<'PY'
import json, sys
leads, w, r = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ra, wa, mr, mw = map(json.loads, sys.argv[4:8])
ms = lambda us: f"{us / 1000:.1f}"
row = lambda name, x: f"| {name} | {ms(x['p50'])} / {ms(x['p95'])} / {ms(x['p99'])} | {x['rps']:,.0f} | {x['failed']} |"
print(f"{leads:,} leads. p50 / p95 / p99 in ms.")
print()
print("| load | p50 / p95 / p99 (ms) | req/s | failed |")
print("|---|---|---|---|")
print(row(f"lead list, {r} readers alone", ra))
print(row(f"create lead, {w} writers alone", wa))
print(row(f"lead list, {r} readers while {w} write", mr))
print(row(f"create lead, {w} writers while {r} read", mw))
print()
met = mw["p99"] <= 100_000
print(f"Target: create p99 ≤ 100 ms at the mixed load: **{'met' if met else 'missed'}** ({ms(mw['p99'])} ms).")
failed = ra["failed"] + wa["failed"] + mr["failed"] + mw["failed"]
if failed:
    print(f"\n**{failed} requests failed.**")
sys.exit(1 if failed else 0)
PY
) || { echo "$report"; echo "see $work/server.log" >&2; exit 1; }
echo "$report"
if [ -n "$out" ]; then
  { echo; echo "### Write tail under mixed load — $(date -u +%Y-%m-%d)"; echo; echo "$report"; } >>"$out"
fi
