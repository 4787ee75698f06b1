#!/usr/bin/env bash
# Builds the web console into OUTDIR: index.html, console.js (one minified IIFE, es2020) and
# console.css. Run from anywhere:  console/build.sh OUTDIR
#   1. npm ci in console/ when node_modules is missing or older than package-lock.json;
#   2. TypeScript for the API from protos/ (buf with protoc-gen-es) into console/src/gen/;
#   3. a type check (tsc --noEmit), then esbuild bundles src/main.ts.
# buf is $BUF when set, else the one `make node` installs (.tools/node_modules/.bin/buf).
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
buf="${BUF:-$repo/.tools/node_modules/.bin/buf}"
if [ ! -x "$buf" ]; then
  echo "buf not found at $buf: run \`make node\`, or set BUF" >&2
  exit 1
fi

cd "$here"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules
fi
"$buf" generate "$repo/protos" --template buf.gen.yaml
node_modules/.bin/tsc --noEmit -p tsconfig.json
node_modules/.bin/esbuild src/main.ts --bundle --minify --format=iife --target=es2020 \
  --legal-comments=none --log-level=warning --outfile="$out/console.js"
cp index.html "$out/index.html"
cp style.css "$out/console.css"
