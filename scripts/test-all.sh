#!/usr/bin/env bash
# Every check, in the order a reviewer would run them: types, builds, all tests (unit, integration
# against the devkit's real servers, real browser), then the demo and the examples unattended.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "runtime: Node.js $(node --version)"

step "typecheck"
pnpm typecheck

step "build (ESM + CJS + .d.ts)"
pnpm build
node scripts/check-dist.mjs

step "tests"
pnpm exec vitest run --reporter=default --reporter=json --outputFile=.vitest-results.json

step "MCP conformance (@modelcontextprotocol/conformance, offline): required client scenarios + the auth suite"
pnpm exec tsx test/conformance/run.ts

step "demo (unattended: approved in the devkit as alice)"
pnpm demo --approve-as alice --port 0

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
