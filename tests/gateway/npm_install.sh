#!/usr/bin/env bash
# Installs what the gateway's Node tests load (package.json / package-lock.json beside this
# script: ooo-client 1.0.0 as published, ws, puppeteer-core) into DEST/node_modules, with
# `npm ci` from the lock file. Puppeteer's own browser download is skipped: the tests drive
# Debian's chromium. Does nothing when DEST already holds this lock file's packages.
#   npm_install.sh DEST
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: npm_install.sh DEST}
mkdir -p "$dest"
if [ -d "$dest/node_modules" ] && cmp -s "$here/package-lock.json" "$dest/.installed-lock.json"; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm is missing: deploy/install-deps.sh installs it" >&2; exit 1; }
cp "$here/package.json" "$here/package-lock.json" "$dest/"
(cd "$dest" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
cp "$here/package-lock.json" "$dest/.installed-lock.json"
