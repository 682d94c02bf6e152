#!/usr/bin/env bash
# The import benchmark: a messy N-row contacts CSV (bench/contacts_csv.py: 2% repeated emails in
# different case, 1% invalid emails, quoted commas, non-ASCII names) imported through the running
# release server (upload + background job, email dedup "skip", the company column finding or
# creating accounts), timed from the upload's first byte to the job's end. In the same run, the
# reference: `sqlite3 .import` of the same file into a bare table with a case-insensitive unique
# email index. With --postgres URL, the same on PostgreSQL next to `\copy` into a staging table
# plus one `insert … on conflict do nothing` into a table with a unique index on lower(email).
# The server's peak resident memory (VmHWM) is printed for each run.
#
#   bench/import.sh [--rows N] [--postgres URL]      (default 1,000,000 rows, SQLite only)
#
# Exits non-zero when the importer's counts do not add up to the file's rows or disagree with
# what the generator put in the file.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=1000000
pg=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --postgres) pg=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

source bench/lib.sh
export CRM_UPLOAD_DIR="$work/uploads"
csv="$work/contacts.csv"
say "generating $rows rows"
made=$(python3 bench/contacts_csv.py "$rows" "$csv")
echo "$made" >&2
expect_invalid=$(sed 's/.*invalid_emails=\([0-9]*\).*/\1/' <<<"$made")
bytes=$(stat -c %s "$csv")

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
secs() { python3 -c "print(f'{$1/1000:.2f}')"; }

# run_import LABEL: uploads the file to the running server, waits for the job, checks the counts,
# prints one result line.
run_import() {
  local start id view status
  start=$(now_ms)
  id=$(curl -sf -H "Authorization: Bearer $token" -F kind=contacts -F dedup=skip -F action=run \
    -F "file=@$csv;type=text/csv" "$base/api/crm/imports" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  while :; do
    view=$(api "/api/crm/imports/$id")
    status=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["status"])' "$view")
    case "$status" in done|failed|cancelled) break ;; esac
    sleep 0.2
  done
  local ms=$(( $(now_ms) - start ))
  python3 - "$view" "$rows" "$expect_invalid" <<'PY'
import json, sys
view, rows, invalid = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
c = view["counts"]
total = c["created"] + c["updated"] + c["skipped_duplicate"] + c["duplicate_in_file"] + c["invalid"]
assert view["status"] == "done", f"import ended {view['status']}: {view.get('error')}"
assert total == rows, f"counts add up to {total}, not {rows}"
assert c["invalid"] == invalid, f"{c['invalid']} invalid, the file has {invalid}"
print(f"created={c['created']} duplicate_in_file={c['duplicate_in_file']} invalid={c['invalid']}", file=sys.stderr)
PY
  echo "$1 rows=$rows file_mb=$((bytes / 1048576)) import_s=$(secs "$ms") rows_per_s=$(( rows * 1000 / (ms > 0 ? ms : 1) )) server_peak_rss_mb=$(peak_rss_mb)"
}

fresh_server() {
  "$bin" migrate >/dev/null
  echo "bench password 0123456789" | "$bin" user create --email bench@example.com --name Bench --role admin --password-stdin >/dev/null
  token=$("$bin" token create --email bench@example.com --label bench | tail -n 1)
  bench_serve "$1"
}

say "SQLite reference: sqlite3 .import into a table with a unique email index"
ref="$work/ref.db"
sqlite3 "$ref" "create table contacts(first_name text, last_name text, email text, phone text, company text, title text);
  create unique index contacts_email on contacts(email collate nocase);"
start=$(now_ms)
sqlite3 "$ref" ".import --csv --skip 1 $csv contacts" 2>/dev/null || true
ref_ms=$(( $(now_ms) - start ))
echo "sqlite3_import rows=$rows import_s=$(secs "$ref_ms") loaded=$(sqlite3 "$ref" 'select count(*) from contacts')"

say "the CRM on SQLite"
fresh_server "${CRM_BENCH_PORT:-3960}"
line=$(run_import crm_sqlite)
echo "$line"
crm_ms=$(python3 -c "import sys; print(round(float(sys.argv[1].split('import_s=')[1].split()[0]) * 1000))" "$line")
echo "ratio_sqlite=$(python3 -c "print(f'{$crm_ms/$ref_ms:.2f}x')")"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

if [ -n "$pg" ]; then
  db=crm_bench_import
  admin_url=$pg
  psql "$admin_url" -qc "drop database if exists $db" -c "create database $db" >/dev/null
  pg_db=${admin_url%/*}/$db
  say "PostgreSQL reference: \\copy into staging, then insert … on conflict do nothing"
  psql "$pg_db" -qc "create table ref_staging(first_name text, last_name text, email text, phone text, company text, title text);
    create table ref_contacts(first_name text, last_name text, email text, phone text, company text, title text);
    create unique index ref_contacts_email on ref_contacts(lower(email));"
  start=$(now_ms)
  psql "$pg_db" -qc "\\copy ref_staging from '$csv' with (format csv, header true)"
  psql "$pg_db" -qc "insert into ref_contacts select * from ref_staging on conflict do nothing"
  pg_ref_ms=$(( $(now_ms) - start ))
  echo "postgres_copy rows=$rows import_s=$(secs "$pg_ref_ms") loaded=$(psql "$pg_db" -qAtc 'select count(*) from ref_contacts')"
  psql "$pg_db" -qc "drop table ref_staging; drop table ref_contacts"

  say "the CRM on PostgreSQL"
  export DATABASE_URL=$pg_db
  fresh_server "$(( ${CRM_BENCH_PORT:-3960} + 1 ))"
  line=$(run_import crm_postgres)
  echo "$line"
  crm_ms=$(python3 -c "import sys; print(round(float(sys.argv[1].split('import_s=')[1].split()[0]) * 1000))" "$line")
  echo "ratio_postgres=$(python3 -c "print(f'{$crm_ms/$pg_ref_ms:.2f}x')")"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  psql "$admin_url" -qc "drop database $db" >/dev/null
fi
