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
: >"$jar"

fetch() { # prints the bytes transferred for one URL, as a browser asks for it
  curl -sf -b "$jar" -H "Accept-Encoding: br, gzip" -o "$work/body" -w '%{size_download}' "$base$1"
}

# weigh PAGE BUDGET-KB: a table of the page and everything it loads (its stylesheet, script
# and WASM: the script names the WASM), with the total against the budget.
weigh() {
  local page=$1 budget=$2 html total rows n
  html=$(fetch "$page")
  curl -sf -b "$jar" "$base$page" >"$work/page.html"
  local assets
  assets=$(grep -o '/pkg/[A-Za-z0-9_.-]*\.\(css\|js\|wasm\)' "$work/page.html" | sort -u)
  total=$html
  rows="| \`$page\` (HTML) | $html |"
  for asset in $assets; do
    n=$(fetch "$asset")
    total=$((total + n))
    rows="$rows
| \`$asset\` | $n |"
  done
  echo "| what | bytes over the wire |
|---|---|
$rows
| **total** | **$total** ($((total / 1024)) KB; budget $budget KB: $([ "$total" -le $((budget * 1024)) ] && echo met || echo missed)) |"
}

# The sign-in page, as someone not signed in gets it: plain HTML and CSS, no WASM.
signin=$(weigh /login 60)

curl -sf -c "$jar" -o /dev/null -H "Origin: $base" \
  --data-urlencode email=bench@example.com --data-urlencode "password=bench password 0123456789" \
  "$base/api/auth/login"
first=$(weigh "$page" 300)
grep -q '_bg.wasm' "$work/page.html" || { echo "$page names no WASM" >&2; exit 1; }

report="Sign-in page:

$signin

First signed-in page:

$first"
echo "$report"
if [ -n "$out" ]; then
  { echo; echo "### $(date -u +%Y-%m-%d)"; echo; echo "$report"; } >>"$out"
fi
