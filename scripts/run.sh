#!/usr/bin/env bash
# README command 1: install what is missing, build for release, and start the CRM on SQLite
# at http://127.0.0.1:3000 (data in ./data/crm.db unless DATABASE_URL says otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
exec "${CARGO_TARGET_DIR:-target}/release/crm" serve "$@"
