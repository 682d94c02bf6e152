#!/usr/bin/env bash
# The records benchmark: loads N leads (with contacts, accounts, opportunities …) into a fresh
# SQLite file with `crm demo-data`, starts the release server, and measures through HTTP with an
# API token: a filtered + sorted 50-row lead page, a deep page by cursor, get by id, search, and
# a trivial route. In the same run the bare SQL behind each endpoint is timed directly on the
# same file (bench/raw_sql.py), and each endpoint's figures are printed next to its reference.
#
#   bench/records.sh [--leads N] [--duration SECONDS] [--connections C] [--out FILE]
#
# Defaults: 1,000,000 leads, 10 s per run, 64 connections. Needs the release build
# (`make build`) and `wrk` (Debian package). CI runs it at a small size to prove it works; it
# exits non-zero when a request fails or a page answers with the wrong rows.
set -euo pipefail
cd "$(dirname "$0")/.."

leads=1000000
duration=10
connections=64
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --leads) leads=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

source bench/lib.sh

say "loading $leads leads (crm demo-data)"
bench_database --leads "$leads"
say "starting the release server"
bench_serve "${CRM_BENCH_PORT:-3950}"

params=$(python3 bench/raw_sql.py "$work/bench.db" --params)
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$params" "$1"; }
cursor=$(field cursor)
lead_id=$(field lead_id)
q=$(field search)
q_url=$(python3 -c "import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1]))" "$q")

declare -A url=(
  [list]="$base/api/crm/leads?status=new&sort=-created_at&limit=50"
  [deep]="$base/api/crm/leads?status=new&sort=-created_at&limit=50&cursor=$cursor"
  [get]="$base/api/crm/leads/$lead_id"
  [search]="$base/api/crm/search?q=$q_url"
  [trivial]="$base/healthz"
)

# The pages must answer with the right rows before their speed means anything.
check() {
  curl -sf -H "Authorization: Bearer $token" "$1"
}
python3 - "$(check "${url[list]}")" "$(check "${url[deep]}")" "$(check "${url[get]}")" "$(check "${url[search]}")" "$lead_id" <<'EOF'
import json, sys
first, deep, one, found, lead_id = sys.argv[1:6]
first, deep, one, found = map(json.loads, (first, deep, one, found))
assert len(first["items"]) == 50 and first["next_cursor"], "first page: 50 rows and a cursor"
assert all(i["status"] == "new" for i in first["items"]), "first page: filtered by status"
stamps = [i["created_at"] for i in first["items"]]
assert stamps == sorted(stamps, reverse=True), "first page: newest first"
assert len(deep["items"]) == 50, "deep page: 50 rows"
assert deep["items"][0]["created_at"] <= first["items"][-1]["created_at"], "deep page: after the first"
assert one["id"] == lead_id, "get by id: the lead asked for"
assert found["results"], "search: finds something"
EOF

say "measuring: $connections connections, ${duration}s each, median of 3 runs (and 1 connection for the latency next to the bare SQL)"
declare -A busy single
for name in list deep get search trivial; do
  busy[$name]=$(wrk_median 3 "$connections" "$duration" "${url[$name]}")
  single[$name]=$(wrk_json 1 "$duration" "${url[$name]}")
done

say "timing the bare SQL on the same file"
raw=$(python3 bench/raw_sql.py "$work/bench.db" --search "$q" --runs 500)
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")  # peak resident memory

report=$(python3 - "$leads" "$load_secs" "$connections" "$rss_kb" "$raw" \
  "${busy[list]}" "${busy[deep]}" "${busy[get]}" "${busy[search]}" "${busy[trivial]}" \
  "${single[list]}" "${single[deep]}" "${single[get]}" "${single[search]}" "${single[trivial]}" <<'EOF'
import json, sys
leads, load_secs, conns, rss_kb, raw = sys.argv[1:6]
names = ["list", "deep", "get", "search", "trivial"]
busy = dict(zip(names, map(json.loads, sys.argv[6:11])))
single = dict(zip(names, map(json.loads, sys.argv[11:16])))
raw = {r["query"]: r for r in map(json.loads, raw.strip().splitlines())}
ms = lambda us: f"{us / 1000:.2f}"
failed = sum(b["failed"] for b in busy.values()) + sum(s["failed"] for s in single.values())
label = {"list": "lead page (status=new, newest first, 50 rows)", "deep": f"deep page by cursor",
         "get": "lead by id", "search": "search (4 kinds, prefix words)", "trivial": "trivial route (/healthz)"}
out = [f"{int(leads):,} leads loaded by `crm demo-data` in {float(load_secs):.1f} s; server peak RSS {int(rss_kb) / 1024:.0f} MB.", ""]
out.append(f"| endpoint | HTTP p50 / p99 at 1 conn (ms) | bare SQL p50 / p99 (ms) | ratio (p50) | HTTP p50 / p95 / p99 at {conns} conns (ms) | req/s at {conns} |")
out.append("|---|---|---|---|---|---|")
for n in names:
    s, b = single[n], busy[n]
    r = raw.get(n)
    ref = f"{ms(r['p50'])} / {ms(r['p99'])}" if r else "—"
    ratio = f"{s['p50'] / r['p50']:.2f}x" if r else "—"
    out.append(f"| {label[n]} | {ms(s['p50'])} / {ms(s['p99'])} | {ref} | {ratio} | {ms(b['p50'])} / {ms(b['p95'])} / {ms(b['p99'])} | {b['rps']:,.0f} |")
out.append("")
out.append("Targets: list p99 ≤ 20 ms at %s connections: **%s** (%s ms); search p95 ≤ 1.5x the bare query: **%s** (%.2fx at 1 connection); "
           "get-by-id ≥ 40%% of the trivial route's req/s: **%s** (%.0f%%)." % (
    conns, "met" if busy["list"]["p99"] <= 20000 else "missed", ms(busy["list"]["p99"]),
    "met" if single["search"]["p95"] <= 1.5 * raw["search"]["p95"] else "missed", single["search"]["p95"] / raw["search"]["p95"],
    "met" if busy["get"]["rps"] >= 0.4 * busy["trivial"]["rps"] else "missed", 100 * busy["get"]["rps"] / busy["trivial"]["rps"]))
if failed:
    out.append(f"\n**{failed} requests failed.**")
print("\n".join(out))
sys.exit(1 if failed else 0)
EOF
) || { echo "$report"; echo "requests failed: see $work/server.log" >&2; exit 1; }

echo "$report"
if [ -n "$out" ]; then
  { echo; echo "### Records at $(printf "%'d" "$leads") leads — $(date -u +%Y-%m-%d)"; echo; echo "$report"; } >>"$out"
fi
