#!/usr/bin/env bash
# Builds the browser side into target/site: the hydrate WebAssembly (wasm-bindgen, then
# wasm-opt in release), the stylesheet and the icon. The WebAssembly, its JavaScript and the
# stylesheet get one content hash in their names (havip-<hash>.*, named in target/site/site-name
# for the server), so browsers may keep them for a year, and each is precompressed (brotli at
# quality 11 in release, gzip at 9) for the server to send as it is.
# Usage: build-site.sh debug|release
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-debug}
site=target/site
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$site/pkg"

if [ "$mode" = release ]; then
  cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
  wasm=target/wasm32-unknown-unknown/wasm-release/frontend.wasm
else
  cargo build -p frontend --lib --target wasm32-unknown-unknown
  wasm=target/wasm32-unknown-unknown/debug/frontend.wasm
fi
wasm-bindgen --target web --no-typescript --out-dir "$work" --out-name havip "$wasm"
# The page asks for <name>.js and <name>.wasm (LEPTOS_OUTPUT_NAME is set at compile time, and
# the server names the files it finds in site-name).
mv "$work/havip_bg.wasm" "$work/havip.wasm"
if [ "$mode" = release ]; then
  end2end/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$work/havip.wasm" -o "$work/havip.wasm"
fi
cp style/main.css "$work/havip.css"

hash=$(cat "$work/havip.wasm" "$work/havip.js" "$work/havip.css" | sha256sum | cut -c1-16)
name="havip-$hash"
rm -f "$site"/pkg/havip.* "$site"/pkg/havip-*
for kind in js wasm css; do
  mv "$work/havip.$kind" "$site/pkg/$name.$kind"
done
# Quality 11 for release; a debug build's 8 MB would take 10 s at it, for no user.
quality=$([ "$mode" = release ] && echo 11 || echo 5)
BROTLI_QUALITY=$quality node -e '
  const { readFileSync, writeFileSync } = require("fs");
  const zlib = require("zlib");
  for (const file of process.argv.slice(1)) {
    const raw = readFileSync(file);
    writeFileSync(file + ".br", zlib.brotliCompressSync(raw, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: Number(process.env.BROTLI_QUALITY), [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
    }));
    writeFileSync(file + ".gz", zlib.gzipSync(raw, { level: 9 }));
  }' "$site/pkg/$name".{js,wasm,css}
printf '%s\n' "$name" >"$site/site-name"
cp public/favicon.svg "$site/favicon.svg"
printf 'site (%s): %s: %s bytes of WebAssembly, %s with brotli, %s with gzip\n' "$mode" "$name" \
  "$(stat -c %s "$site/pkg/$name.wasm")" "$(stat -c %s "$site/pkg/$name.wasm.br")" "$(stat -c %s "$site/pkg/$name.wasm.gz")"
