#!/usr/bin/env bash
# What a first page costs over the wire: signs in to a fresh release server and downloads the
# page with everything its head names (HTML, CSS, JS, the main WASM and the pieces of the split
# WASM the page needs) as a browser would (Accept-Encoding: br, gzip), adding up the bytes
# actually transferred. Budgets: sign-in page 60 KB, first staff page 300 KB, portal 200 KB.
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
  assets=$(grep -o '/pkg/[A-Za-z0-9_./-]*\.\(css\|js\|wasm\)' "$work/page.html" | sort -u)
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

# A customer's first portal page: a contact with an email address is invited (as staff would)
# and accepts, which signs them in to the portal.
invite=$(python3 - "$base" "$CRM_BENCH_TOKEN" <<'PY'
import json, sys, urllib.parse, urllib.request
base, token = sys.argv[1], sys.argv[2]
def call(method, path):
    req = urllib.request.Request(base + path, method=method, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
for c in call("GET", "/api/crm/contacts?limit=100")["items"]:
    if not c.get("email"):
        continue
    try:
        url = call("POST", f"/api/crm/contacts/{c['id']}/portal-invite")["invite_url"]
    except urllib.error.HTTPError:
        continue  # a contact the portal is not for (still a lead, say)
    print(urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["token"][0])
    break
else:
    sys.exit("no contact could be invited to the portal")
PY
)
: >"$jar"
curl -sf -c "$jar" -o /dev/null -H "Origin: $base" -H "Content-Type: application/json" \
  -d "{\"token\":\"$invite\",\"password\":\"portal password 0123456789\"}" "$base/api/auth/accept-invite"
portal=$(weigh /portal 200)

report="Sign-in page:

$signin

First signed-in page:

$first

First portal page:

$portal"
echo "$report"
if [ -n "$out" ]; then
  { echo; echo "### $(date -u +%Y-%m-%d)"; echo; echo "$report"; } >>"$out"
fi
