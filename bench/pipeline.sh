#!/usr/bin/env bash
# The pipeline benchmark: a million opportunities (with stage histories) from `crm demo-data`,
# then the board and the summary strip through HTTP, each next to its reference measured in the
# same run on the same file: the board's headers computed the direct way (one aggregate over the
# opportunities) plus each column's first page, and the summary's four figures the same way.
#
#   bench/pipeline.sh [--opportunities N] [--duration SECONDS] [--connections C] [--out FILE]
#
# Defaults: 1,000,000 opportunities (and 100,000 leads), 10 s per run, 16 connections.
set -euo pipefail
cd "$(dirname "$0")/.."

opportunities=1000000
duration=10
connections=16
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --opportunities) opportunities=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

source bench/lib.sh
leads=$(( opportunities / 10 > 1000 ? opportunities / 10 : 1000 ))
say "loading $opportunities opportunities and $leads leads (crm demo-data)"
bench_database --leads "$leads" --opportunities "$opportunities"
say "starting the release server"
bench_serve "${CRM_BENCH_PORT:-3952}"

owner=$(api "/api/crm/opportunities?limit=1" | python3 -c "import json,sys; print(json.load(sys.stdin)['items'][0]['owner_id'])")
declare -A url=(
  [board]="$base/api/crm/pipeline"
  [board_owner]="$base/api/crm/pipeline?owner_id=$owner"
  [summary]="$base/api/crm/stats/summary"
)

# The board's figures must be right before their speed means anything.
api /api/crm/pipeline >"$work/board.json"
python3 - "$work/board.json" "$work/bench.db" <<'EOF'
import json, sqlite3, sys, datetime
board, path = json.load(open(sys.argv[1])), sys.argv[2]
db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
month = datetime.datetime.now(datetime.timezone.utc).replace(day=1, hour=0, minute=0, second=0, microsecond=0).isoformat()
rows = dict(((s), (n, v)) for s, n, v in db.execute(
    "select stage, count(*), coalesce(sum(value_minor), 0) from opportunities where currency = 'USD' "
    "and (closed_at is null or closed_at >= ?) group by stage", (month,)))
for col in board["stages"]:
    n, v = rows.get(col["stage"], (0, 0))
    assert col["count"] == n, (col["stage"], col["count"], n)
    assert round(col["total_value"] * 100) == v, (col["stage"], col["total_value"], v)
    assert len(col["opportunities"]) == min(50, n)
EOF

say "measuring: 1 and $connections connections, ${duration}s each"
declare -A busy single
for name in board board_owner summary; do
  single[$name]=$(wrk_json 1 "$duration" "${url[$name]}")
  busy[$name]=$(wrk_json "$connections" "$duration" "${url[$name]}")
done
say "timing the same figures computed directly on the same file"
raw=$(python3 bench/raw_sql.py "$work/bench.db" --suite pipeline --runs 20)

report=$(python3 - "$opportunities" "$load_secs" "$connections" "$(peak_rss_mb)" "$raw" \
  "${single[board]}" "${single[board_owner]}" "${single[summary]}" \
  "${busy[board]}" "${busy[board_owner]}" "${busy[summary]}" <<'EOF'
import json, sys
n, load_secs, conns, rss, raw = sys.argv[1:6]
names = ["board", "board_owner", "summary"]
single = dict(zip(names, map(json.loads, sys.argv[6:9])))
busy = dict(zip(names, map(json.loads, sys.argv[9:12])))
raw = {r["query"]: r for r in map(json.loads, raw.strip().splitlines())}
ms = lambda us: f"{us / 1000:.2f}"
ref = {"board": raw["board"], "board_owner": raw["board"], "summary": raw["summary"]}
label = {"board": "board, everyone (6 columns × 50 cards + headers)", "board_owner": "board, one owner",
         "summary": "summary strip (4 figures)"}
out = [f"{int(n):,} opportunities loaded by `crm demo-data` in {float(load_secs):.1f} s; server peak RSS {rss} MB.",
       f"The direct board aggregate alone (headers only, no cards): p50 {ms(raw['board_aggregate']['p50'])} ms.", "",
       f"| endpoint | HTTP p50 / p99 at 1 conn (ms) | computed directly p50 / p99 (ms) | ratio (p50) | HTTP p50 / p99 at {conns} conns (ms) | req/s at {conns} |",
       "|---|---|---|---|---|---|"]
failed = 0
for k in names:
    s, b, r = single[k], busy[k], ref[k]
    failed += s["failed"] + b["failed"]
    out.append(f"| {label[k]} | {ms(s['p50'])} / {ms(s['p99'])} | {ms(r['p50'])} / {ms(r['p99'])} | {s['p50'] / r['p50']:.2f}x | "
               f"{ms(b['p50'])} / {ms(b['p99'])} | {b['rps']:,.0f} |")
ok = all(single[k]["p50"] <= 1.2 * ref[k]["p50"] for k in names)
out.append("")
out.append(f"Target (each ≤ 1.2x its direct computation): **{'met' if ok else 'missed'}**.")
if failed:
    out.append(f"\n**{failed} requests failed.**")
print("\n".join(out))
sys.exit(1 if failed else 0)
EOF
) || { echo "$report"; echo "requests failed: see $work/server.log" >&2; exit 1; }
echo "$report"
if [ -n "$out" ]; then
  { echo; echo "### Pipeline at $(printf "%'d" "$opportunities") opportunities — $(date -u +%Y-%m-%d)"; echo; echo "$report"; } >>"$out"
fi
