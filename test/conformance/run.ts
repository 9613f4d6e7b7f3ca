/**
 * Runs the MCP conformance suite (@modelcontextprotocol/conformance, pinned in package.json)
 * against test/conformance/mcp-client.ts: the scenarios that must pass one by one, then the whole
 * `auth` suite. Offline: every server the suite starts is on localhost.
 *
 *   pnpm exec tsx test/conformance/run.ts            # exit code 0 only when everything passed
 *   pnpm exec tsx test/conformance/run.ts --only auth/dpop
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const clientCommand = 'pnpm exec tsx test/conformance/mcp-client.ts';

/** Each must pass on its own. */
export const requiredScenarios = ['initialize', 'tools_call', 'auth/client-credentials-jwt', 'auth/dpop', 'auth/dpop-nonce', 'auth/wif-jwt-bearer'];

interface Outcome {
  name: string;
  passed: boolean;
  summary: string;
  seconds: number;
}

function conformance(args: string[]): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('pnpm', ['exec', 'conformance', 'client', '--command', clientCommand, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      // eslint-disable-next-line no-control-regex
      const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
      const totals = plain.match(/^(?:Passed|Total): .*$/gm) ?? [];
      const failures = plain.split('\n').filter((line) => /\bFAILURE\b|CLIENT EXITED WITH ERROR/.test(line));
      resolve({
        name: args.join(' '),
        passed: code === 0,
        summary: [totals.at(-1) ?? 'no result line', ...failures.slice(0, 5)].join('\n    '),
        seconds: (performance.now() - started) / 1000,
      });
    });
  });
}

async function main(): Promise<void> {
  const only = process.argv.indexOf('--only');
  const runs = only >= 0 ? [['--scenario', process.argv[only + 1]!]] : [...requiredScenarios.map((name) => ['--scenario', name]), ['--suite', 'auth']];
  const outcomes: Outcome[] = [];
  for (const args of runs) {
    const outcome = await conformance(args);
    outcomes.push(outcome);
    console.log(`${outcome.passed ? 'pass' : 'FAIL'}  ${outcome.name}  (${outcome.seconds.toFixed(1)} s)\n    ${outcome.summary}`);
  }
  const failed = outcomes.filter((outcome) => !outcome.passed);
  console.log(`mcp conformance: ${outcomes.length - failed.length} passed, ${failed.length} failed`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}

await main();
