#!/usr/bin/env bash
# The sign-in flood: 32 clients send wrong passwords as fast as they can, each request for a
# different email from a different address (so no throttle stops it and every one is hashed
# with argon2), while a real user signs in now and then. Reports the server's resident memory
# before, at its peak and after, the flood's rate, and the real sign-in's time during it.
#
#   bench/signin-flood.sh [--duration SECONDS] [--connections C] [--out FILE]
#
# Budget: peak resident memory ≤ 150 MB. Exits non-zero when it is exceeded.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=20
connections=32
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

source bench/lib.sh
export CRM_TRUST_PROXY=true
bench_database --leads 100
bench_serve "${CRM_BENCH_PORT:-3953}"

rss_now() { awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$server_pid/status"; }
sign_in_ms() {
  curl -s -o /dev/null -w '%{time_total}\n' -H 'X-Forwarded-For: 192.0.2.1' \
    -d 'email=bench%40example.com&password=bench+password+0123456789' "$base/api/auth/login" |
    awk '{printf "%d", $1 * 1000}'
}

before=$(rss_now)
quiet_ms=$(sign_in_ms)
say "flooding: $connections clients, ${duration}s"
wrk -t2 -c"$connections" -d"${duration}s" --timeout 30s -s bench/signin-flood.lua "$base" >"$work/wrk.out" &
wrk_pid=$!
sleep $(( duration / 2 ))
during_ms=$(sign_in_ms)
wait "$wrk_pid"
flood=$(sed -n 's/^RESULT //p' "$work/wrk.out")
peak=$(peak_rss_mb)
sleep 2
after=$(rss_now)

report=$(python3 - "$before" "$peak" "$after" "$quiet_ms" "$during_ms" "$flood" "$connections" <<'PY'
import json, sys
before, peak, after, quiet, during = map(int, sys.argv[1:6])
flood = json.loads(sys.argv[6]); conns = sys.argv[7]
print(f"| resident memory before / peak / after (MB) | flood (sign-ins/s, p50 / p99 ms) | a real sign-in, quiet / during the flood (ms) |")
print("|---|---|---|")
print(f"| {before} / **{peak}** / {after} | {flood['rps']:.1f}/s, {flood['p50']/1000:.0f} / {flood['p99']/1000:.0f} ({flood['requests']} requests from {conns} clients, {flood['failed']} failed) | {quiet} / {during} |")
print()
print(f"Budget: peak ≤ 150 MB: **{'met' if peak <= 150 else 'missed'}**.")
sys.exit(0 if peak <= 150 and flood['failed'] == 0 else 1)
PY
) || { echo "$report"; exit 1; }
echo "$report"
if [ -n "$out" ]; then
  { echo; echo "### Sign-in flood — $(date -u +%Y-%m-%d)"; echo; echo "$report"; } >>"$out"
fi
