#!/usr/bin/env bash
# Installs what a fresh machine lacks to build (and, with `test`, to test) the CRM.
# Idempotent: each tool is checked first and installed only when missing or wrong.
#   scripts/tools.sh          build tools: wasm32 target, wasm-bindgen, wasm-opt (npm)
#   scripts/tools.sh test     also Chromium, wrk and Dovecot (Debian packages: Dovecot is the
#                             mailbox tests' IMAP server, run privately by each test and never
#                             as a system service), Playwright (npm) and aiosmtpd (PyPI, the
#                             mail tests' SMTP server)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root for: $*" >&2; exit 1; fi
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen's CLI must match the wasm-bindgen crate in Cargo.lock exactly.
want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$want"
fi

if [ ! -x scripts/node_modules/.bin/wasm-opt ] || [ scripts/package-lock.json -nt scripts/node_modules/.package-lock.json ]; then
  say "installing wasm-opt (binaryen, from npm)"
  (cd scripts && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "${1:-}" = test ]; then
  if ! command -v chromium >/dev/null; then
    say "installing Chromium (Debian package) for the browser tests"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium \
      || { as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }
  fi
  if ! command -v wrk >/dev/null; then
    say "installing wrk (Debian package) for the benchmark smoke run"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk \
      || { as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk; }
  fi
  if [ ! -x /usr/sbin/dovecot ]; then
    say "installing Dovecot (Debian package dovecot-imapd) for the mailbox tests"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y dovecot-imapd \
      || { as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y dovecot-imapd; }
  fi
  # A real SMTP server for the mail tests (tests/mail_sink.py), from PyPI into a venv of ours.
  mail_venv="${CARGO_TARGET_DIR:-target}/mail-venv"
  if ! "$mail_venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    say "installing aiosmtpd (PyPI, into $mail_venv) for the mail tests"
    python3 -m venv "$mail_venv"
    "$mail_venv/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==1.4.6"
  fi
  if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    say "installing Playwright (npm; it uses the system Chromium, no browser download)"
    (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
