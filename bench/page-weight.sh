#!/usr/bin/env bash
# What the first signed-in page costs over the wire: signs in to a fresh release server and
# downloads the pipeline page with everything it loads (HTML, CSS, JS, WASM) as a browser
# would (Accept-Encoding: br, gzip), adding up the bytes actually transferred. Budget: 300 KB.
#
#   bench/page-weight.sh [--page /pipeline] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."

page=/pipeline
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --page) page=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

source bench/lib.sh
bench_database --leads 2000
bench_serve "${CRM_BENCH_PORT:-3951}"

jar="$work/cookies"
curl -sf -c "$jar" -o /dev/null -H "Origin: $base" \
  --data-urlencode email=bench@example.com --data-urlencode "password=bench password 0123456789" \
  "$base/api/auth/login"

fetch() { # prints the bytes transferred for one URL, as a browser asks for it
  curl -sf -b "$jar" -H "Accept-Encoding: br, gzip" -o "$work/body" -w '%{size_download}' "$base$1"
}
html=$(fetch "$page")
# What the page itself loads: its stylesheet, script and WASM (the script names the WASM).
curl -sf -b "$jar" "$base$page" >"$work/page.html"
assets=$(grep -o '/pkg/[A-Za-z0-9_.-]*\.\(css\|js\|wasm\)' "$work/page.html" | sort -u)
echo "$assets" | grep -q 'crm_bg.wasm' || assets="$assets /pkg/crm_bg.wasm"

total=$html
rows="| \`$page\` (HTML) | $html |"
for asset in $assets; do
  n=$(fetch "$asset")
  total=$((total + n))
  rows="$rows
| \`$asset\` | $n |"
done
report="| what | bytes over the wire |
|---|---|
$rows
| **total** | **$total** ($((total / 1024)) KB; budget 300 KB: $([ "$total" -le 307200 ] && echo met || echo missed)) |"
echo "$report"
if [ -n "$out" ]; then
  { echo; echo "### First signed-in page — $(date -u +%Y-%m-%d)"; echo; echo "$report"; } >>"$out"
fi
