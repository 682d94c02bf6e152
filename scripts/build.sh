#!/usr/bin/env bash
# Builds the CRM for release: the browser half (WASM, JS, CSS, precompressed) into
# target/site, and the server binary. The plain-cargo path; `cargo leptos build --release`
# does the same for those who have cargo-leptos.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/tools.sh
target_dir=${CARGO_TARGET_DIR:-target}
site=target/site
pkg=$site/pkg

printf '\033[1m==> %s\033[0m\n' "building the browser app (WASM)"
cargo build --lib --target wasm32-unknown-unknown --no-default-features --features hydrate --profile wasm-release
rm -rf "$pkg.new" && mkdir -p "$pkg.new"
wasm-bindgen --target web --no-typescript --out-dir "$pkg.new" --out-name crm \
  "$target_dir/wasm32-unknown-unknown/wasm-release/crm.wasm"
# Shrinks the WASM to about a third. Rust's default WASM features are enabled explicitly.
scripts/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$pkg.new/crm_bg.wasm" -o "$pkg.new/crm_bg.opt.wasm"
mv "$pkg.new/crm_bg.opt.wasm" "$pkg.new/crm_bg.wasm"
cp style/main.css "$pkg.new/crm.css"
# Names carry a hash of the content, so browsers may keep them for good (the server reads the
# stem from pkg/assets): a new build is new names, never a stale copy.
hash=$(cat "$pkg.new/crm.js" "$pkg.new/crm_bg.wasm" "$pkg.new/crm.css" | sha256sum | cut -c1-16)
mv "$pkg.new/crm.js" "$pkg.new/crm.$hash.js"
mv "$pkg.new/crm_bg.wasm" "$pkg.new/crm.${hash}_bg.wasm"
mv "$pkg.new/crm.css" "$pkg.new/crm.$hash.css"
node scripts/compress.mjs "$pkg.new"
printf 'crm.%s\n' "$hash" > "$pkg.new/assets"
rm -rf "$pkg" && mv "$pkg.new" "$pkg"
cp -R public/. "$site/"

printf '\033[1m==> %s\033[0m\n' "building the server"
cargo build --release --bin crm
