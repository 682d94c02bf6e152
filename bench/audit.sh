#!/usr/bin/env bash
# The audit chain benchmark: N audit entries chained exactly as the server chains them (written
# straight into a fresh SQLite file by bench/audit_chain.py), then `crm audit verify` over them,
# next to the bare SQL that reads the same rows in the same order (sqlite3, same run).
#
#   bench/audit.sh [--entries N]        (default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
entries=1000000
while [ $# -gt 0 ]; do
  case "$1" in
    --entries) entries=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bin=${CARGO_TARGET_DIR:-target}/release/crm
[ -x "$bin" ] || cargo build --release --bin crm
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
db="$dir/audit.db"
DATABASE_URL="sqlite://$db" "$bin" migrate >/dev/null
python3 bench/audit_chain.py "$db" "$entries"
sql=$( { time -p sqlite3 "$db" "select count(*), max(length(hash)) from (select * from audit_log order by seq)" >/dev/null; } 2>&1 | awk '/real/ {print $2}')
/usr/bin/time -f '%e %M' -o "$dir/time" env DATABASE_URL="sqlite://$db" RUST_LOG=warn "$bin" audit verify
read -r secs kb < "$dir/time"
echo "entries=$entries verify_s=$secs verify_max_rss_mb=$((kb / 1024)) bare_sql_read_s=$sql"
