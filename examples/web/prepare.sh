#!/usr/bin/env bash
# Puts the example page and what it loads (ooo-client 1.0.0 from npm, from package-lock.json)
# into DEST, for `ooo-storaged --http-static DEST`; the page is then
# http://HOST:PORT/_static/index.html. Does nothing npm-wise when DEST already has this lock
# file's packages.
#   examples/web/prepare.sh DEST
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: prepare.sh DEST}
mkdir -p "$dest"
cp "$here/index.html" "$dest/index.html"
if [ -d "$dest/node_modules" ] && cmp -s "$here/package-lock.json" "$dest/.installed-lock.json"; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm is missing: deploy/install-deps.sh installs it" >&2; exit 1; }
cp "$here/package.json" "$here/package-lock.json" "$dest/"
(cd "$dest" && npm ci --no-audit --no-fund --loglevel=error >&2)
cp "$here/package-lock.json" "$dest/.installed-lock.json"
