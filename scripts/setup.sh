#!/usr/bin/env bash
# Sets up a fresh machine for Countersign: pnpm, the workspace's packages and, for the tests,
# Chromium (the approval inbox is tested in a real browser). Idempotent: a second run only checks.
#
#   bash scripts/setup.sh demo   # what `pnpm demo` needs (no browser)
#   bash scripts/setup.sh test   # what `pnpm test:all` needs (adds Chromium, via apt when root)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-test}"

node_major="$(node -p 'process.versions.node.split(".")[0]')"
node_minor="$(node -p 'process.versions.node.split(".")[1]')"
if [ "$node_major" -lt 20 ] || { [ "$node_major" -eq 20 ] && [ "$node_minor" -lt 19 ]; }; then
  echo "Countersign needs Node.js 20.19 or later (found $(node --version))." >&2
  exit 1
fi

want_pnpm=12.4.2
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$want_pnpm" ]; then
  npm install --global --silent "pnpm@$want_pnpm"
fi

pnpm install --frozen-lockfile --reporter=append-only

if [ "$mode" = "test" ] && [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "The approval inbox tests need Chromium at /usr/bin/chromium (Debian: sudo apt-get install chromium)." >&2
    exit 1
  fi
fi
