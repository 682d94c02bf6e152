#!/usr/bin/env bash
# Text filters at scale: list pages of leads, contacts, accounts and opportunities filtered by
# one-, two- and three-letter prefixes, a common word, a rare word and a word that is nowhere,
# newest first, at 16 connections, on SQLite or PostgreSQL. Next to each, the two ways the
# database can answer it, timed on the database itself: reading every match and sorting them
# ("matches"), and walking the newest-first index keeping the rows that match ("walk"). The
# server chooses between them by how many rows match; its time should follow the faster.
#
#   bench/text-filter.sh [--backend sqlite|postgres] [--leads N] [--database URL]
#                        [--duration SECONDS] [--connections C] [--out FILE]
#
# --database reuses a database already loaded by `crm demo-data` (loading a million leads
# into PostgreSQL takes about five minutes); without it a fresh one is loaded. Needs the
# release build and wrk; CI runs it at a small size to prove it works.
set -euo pipefail
cd "$(dirname "$0")/.."

backend=sqlite leads=1000000 database="" duration=5 connections=16 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) backend=$2; shift 2 ;;
    --leads) leads=$2; shift 2 ;;
    --database) database=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

source bench/lib.sh

if [ "$backend" = postgres ]; then
  pg=${CRM_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
  if [ -z "$database" ]; then
    psql "$pg/postgres" -qc "drop database if exists crm_bench_text" -c "create database crm_bench_text" >/dev/null
    database="$pg/crm_bench_text"
  fi
fi
if [ -n "$database" ]; then
  export DATABASE_URL=$database
  "$bin" migrate >/dev/null
  echo "bench password 0123456789" | "$bin" user create --email text-bench@example.com --name Bench --role admin --password-stdin >/dev/null 2>&1 || true
  token=$("$bin" token create --email text-bench@example.com --label bench | tail -n 1)
  export CRM_BENCH_TOKEN=$token
  load_secs=0
else
  say "loading $leads leads (crm demo-data)"
  bench_database --leads "$leads"
fi
[ "$backend" = postgres ] && psql "$DATABASE_URL" -qc "vacuum analyze" >/dev/null
say "starting the release server ($backend)"
bench_serve "${CRM_BENCH_PORT:-3951}"

words="a an ann annie 1000000 qzxv"
say "measuring: $connections connections, ${duration}s per page"
results=""
for kind in leads contacts accounts opportunities; do
  for q in $words; do
    url="$base/api/crm/$kind?q=$q&sort=-created_at&limit=50"
    rows=$(curl -sf -H "Authorization: Bearer $token" "$url" | python3 -c "import json,sys; print(len(json.load(sys.stdin)['items']))")
    busy=$(wrk_json "$connections" "$duration" "$url")
    results+="$kind $q $rows $busy"$'\n'
  done
done

say "timing both ways on the database itself"
raw=$(python3 bench/text_sql.py "$backend" "$DATABASE_URL" $words)

python3 - "$backend" "$connections" "$results" "$raw" <<'PY' | tee "$work/report.md"
import json, sys
backend, conns, results, raw = sys.argv[1:5]
raw = {(r["kind"], r["q"]): r for r in map(json.loads, raw.strip().splitlines())}
ms = lambda us: f"{us / 1000:.2f}"
out = [f"| page ({backend}) | q | rows | p50 / p99 at {conns} conns (ms) | req/s | bare SQL: matches / walk / probe (ms) | matching rows |", "|---|---|---|---|---|---|---|"]
worst, failed = 0, 0
for line in results.strip().splitlines():
    kind, q, rows, busy = line.split(" ", 3)
    b = json.loads(busy)
    r = raw.get((kind, q), {})
    worst = max(worst, b["p99"]); failed += b["failed"]
    probe = "-" if r.get("probe") is None else f"{r['probe']:.2f}"
    out.append(f"| {kind} | `{q}` | {rows} | {ms(b['p50'])} / {ms(b['p99'])} | {b['rps']:,.0f} | {r.get('matches', 0):.2f} / {r.get('walk', 0):.2f} / {probe} | {r.get('count', '?'):,} |")
out.append("")
out.append(f"Target: every text filter p99 ≤ 50 ms at {conns} connections: **{'met' if worst <= 50000 else 'missed'}** (worst {ms(worst)} ms).")
if failed:
    out.append(f"\n**{failed} requests failed.**")
print("\n".join(out))
sys.exit(1 if failed else 0)
PY
if [ -n "$out" ]; then
  { echo; echo "### Text filters, $backend — $(date -u +%Y-%m-%d)"; echo; cat "$work/report.md"; } >>"$out"
fi
