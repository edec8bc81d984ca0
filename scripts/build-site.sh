#!/usr/bin/env bash
# Builds the browser side into target/site: the hydrate WebAssembly (wasm-bindgen, then
# wasm-opt in release), the stylesheet and the icon. Usage: build-site.sh debug|release
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-debug}
site=target/site
mkdir -p "$site/pkg"

if [ "$mode" = release ]; then
  cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
  wasm=target/wasm32-unknown-unknown/wasm-release/frontend.wasm
else
  cargo build -p frontend --lib --target wasm32-unknown-unknown
  wasm=target/wasm32-unknown-unknown/debug/frontend.wasm
fi
wasm-bindgen --target web --no-typescript --out-dir "$site/pkg" --out-name havip "$wasm"
# The page asks for /pkg/havip.wasm (LEPTOS_OUTPUT_NAME is set at compile time).
mv -f "$site/pkg/havip_bg.wasm" "$site/pkg/havip.wasm"
if [ "$mode" = release ]; then
  end2end/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$site/pkg/havip.wasm" -o "$site/pkg/havip.wasm"
fi
cp style/main.css "$site/pkg/havip.css"
cp public/favicon.svg "$site/favicon.svg"
printf 'site (%s): %s bytes of WebAssembly\n' "$mode" "$(stat -c %s "$site/pkg/havip.wasm")"
