#!/usr/bin/env bash
# Sets up a fresh machine: pnpm, the workspace's packages, and Chromium for the approval-page tests.
# Idempotent: run it again and it only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

want_pnpm=12.4.2
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$want_pnpm" ]; then
  npm install --global "pnpm@$want_pnpm"
fi

pnpm install --frozen-lockfile

if [ "${COUNTERSIGN_SKIP_BROWSER:-}" != "1" ] && [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is needed for the approval inbox tests: install it at /usr/bin/chromium (Debian: apt-get install chromium)" >&2
    exit 1
  fi
fi
