#!/usr/bin/env bash
# The API against its own OpenAPI document: schemathesis (from PyPI, in a virtualenv of its own
# under target/) generates requests from /api/openapi.json and runs every check it has — no 5xx,
# statuses, content types, headers and bodies as documented, invalid input refused, valid input
# accepted, authentication not ignored — against the release server on a throwaway database
# with a little demo data. Bounded in time; exits non-zero on any failure.
#
#   scripts/api-fuzz.sh [--max-time SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."

max_time=120
while [ $# -gt 0 ]; do
  case "$1" in
    --max-time) max_time=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

venv="${CARGO_TARGET_DIR:-target}/schemathesis"
version=4.32.5
if [ "$("$venv/bin/schemathesis" --version 2>/dev/null | awk '{print $3}')" != "$version" ]; then
  printf '\033[1m==> installing schemathesis %s (PyPI, into %s)\033[0m\n' "$version" "$venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

source bench/lib.sh
bench_database --leads 60
bench_serve "${CRM_FUZZ_PORT:-3961}"

# Records the generated requests may refer to (scripts/schemathesis.toml binds the id fields
# to them): a request naming a record that does not exist is rightly refused.
api() { curl -sf -H "Authorization: Bearer $token" "$base$1"; }
pick() { python3 -c "import json, sys; items = json.load(sys.stdin); print($1)"; }
FUZZ_USER_ID=$(api /api/account | pick 'items["me"]["id"]')
FUZZ_LEAD_ID=$(api "/api/crm/leads?limit=1" | pick 'items["items"][0]["id"]')
FUZZ_CONTACT_ID=$(api "/api/crm/contacts?limit=200" | pick 'next(c["id"] for c in items["items"] if c["account_id"])')
FUZZ_ACCOUNT_ID=$(api "/api/crm/contacts/$FUZZ_CONTACT_ID" | pick 'items["account_id"]')
export FUZZ_USER_ID FUZZ_LEAD_ID FUZZ_CONTACT_ID FUZZ_ACCOUNT_ID

say "schemathesis: every check, ${max_time}s at most"
# Every check, both ways: valid input (by the document) accepted, invalid refused. The few
# rules JSON Schema cannot say are listed, with why, in scripts/schemathesis.toml.
# Sign-out and ending one's own sessions or tokens would cut the run's own credential off
# half-way; they are covered by the Rust HTTP tests instead.
"$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "$base/api/openapi.json" \
  --header "Authorization: Bearer $token" \
  --max-time "$max_time" \
  --workers 2 \
  --request-timeout 10 \
  --exclude-path /api/auth/logout \
  --exclude-path-regex '^/api/account/(sessions|tokens)' \
  --exclude-path /api/admin/impersonation \
  --suppress-health-check all \
  --no-color
