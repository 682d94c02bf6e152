#!/usr/bin/env bash
# README command 2: the whole test suite. Unit, HTTP and story tests (SQLite always,
# PostgreSQL when reachable), then the release build driven in Chromium by Playwright.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

scripts/tools.sh test
# The mail tests' SMTP server runs on the Python that tools.sh gave aiosmtpd.
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$(pwd)/$target_dir" ;; esac
export CRM_TEST_MAIL_PYTHON="${CRM_TEST_MAIL_PYTHON:-$target_dir/mail-venv/bin/python}"

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  candidate=postgres://postgres@127.0.0.1:5432/postgres
  if command -v psql >/dev/null && psql "$candidate" -qAtc 'select 1' >/dev/null 2>&1; then
    export TEST_DATABASE_URL=$candidate
    say "PostgreSQL found at 127.0.0.1:5432: the story tests run on it too"
  else
    printf '\n\033[1;33m*** PostgreSQL SKIPPED: no TEST_DATABASE_URL and nothing answers at 127.0.0.1:5432.\n'
    printf '*** Only the SQLite half of the story tests runs. Set TEST_DATABASE_URL=postgres://… to include it.\033[0m\n\n'
  fi
else
  say "PostgreSQL tests against TEST_DATABASE_URL (they fail if it cannot be reached)"
fi

say "formatting"
cargo fmt --check

say "unit, HTTP and story tests"
cargo test --release

say "release build for the browser tests"
scripts/build.sh

say "browser tests (Playwright, Chromium)"
(cd end2end && npx playwright test)

say "benchmarks at a small size (they prove the scripts work; the figures are in docs/benchmarks.md)"
bench/records.sh --leads 3000 --duration 1 --connections 16
bench/pipeline.sh --opportunities 3000 --duration 1 --connections 4
bench/page-weight.sh
bench/import.sh --rows 3000 ${TEST_DATABASE_URL:+--postgres "$TEST_DATABASE_URL"}
bench/audit.sh --entries 3000
bench/writes.sh --leads 3000 --duration 2 --writers 8 --readers 8
bench/signin-flood.sh --duration 4 --connections 8
bench/text-filter.sh --leads 3000 --duration 1
bench/mail.sh --messages 100

say "the API against its OpenAPI document (schemathesis, bounded in time)"
scripts/api-fuzz.sh --max-time 90
