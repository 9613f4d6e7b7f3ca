// The examples' first hour, run as a developer runs them (child processes through pnpm exec tsx):
// usage, user mistakes (one line + hint, no stack trace, non-zero exit), prompts that ask again,
// denials that succeed, a busy port, a running dev stack, Ctrl-C.
import { createServer, type Server } from 'node:net';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '@countersign/devkit';
import { repositoryRoot, runCommand, runExample, stackFrames } from './run-command.js';

const examples = {
  demo: 'examples/payout-demo/main.ts',
  openai: 'examples/openai-payout/main.ts',
  langchain: 'examples/langchain-payout/main.ts',
} as const;
const allExamples = Object.entries(examples);
const VALID_IDS = 'valid ids: alice (treasury), bob (treasury), carol (security)';

async function stateDir(): Promise<string> {
  await mkdir(join(repositoryRoot, '.countersign'), { recursive: true, mode: 0o700 });
  return mkdtemp(join(repositoryRoot, '.countersign', 'test-'));
}

/** The demo keeps its key and trail in --state-dir: give each run its own. */
async function withStateDir(script: string, args: string[]): Promise<string[]> {
  return script === examples.demo ? [...args, '--state-dir', await stateDir()] : args;
}

describe.each(allExamples)('examples/%s: command-line mistakes', (_name, script) => {
  it('prints usage listing every flag on --help, exit 0', async () => {
    const run = await runExample(script, ['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: \S.* \[options\]/);
    for (const flag of ['--approve-as <id>', '--deny', '--amount <n>', '--port <n>', '--issuer <url>', '--tool-api <url>', '-h, --help']) {
      expect(run.stdout).toContain(flag);
    }
  });

  it('refuses an unknown flag in one line with a hint, exit 2', async () => {
    const run = await runExample(script, ['--bogus']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/: unknown option --bogus\n {2}run .* --help for the options\n$/);
    expect(stackFrames(run.output)).toEqual([]);
  });

  it.each([
    [['--amount', 'abc'], '--amount must be a number, got "abc"'],
    [['--amount=-5'], '--amount -5 is not a valid payout amount: Too small: expected number to be >0'],
    [['--amount', '-5'], '--amount needs a value; for a value that starts with a dash write --amount=-…'],
  ])('prints the validation reason for %j, exit 2', async (args, reason) => {
    const run = await runExample(script, [...args, '--port', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toMatch(new RegExp(`: ${reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    expect(stackFrames(run.output)).toEqual([]);
  });

  it.each([
    [['--approve-as', 'mallory'], '--approve-as mallory: no such approver'],
    [['--approve-as', 'alice', '--approve-as', 'alice'], '--approve-as alice is given twice; a second approval must come from someone else'],
  ])('refuses %j listing the valid ids, exit 2', async (args, message) => {
    const run = await runExample(script, await withStateDir(script, [...args, '--port', '0']));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${message}\n  ${VALID_IDS}\n`);
    expect(stackFrames(run.output)).toEqual([]);
  });

  it('refuses an approver without the role the payout needs, listing the valid ids, exit 1', async () => {
    const run = await runExample(script, await withStateDir(script, ['--approve-as', 'carol', '--port', '0']));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the dev stack refused: carol does not hold the treasury role this action needs\n  ${VALID_IDS}\n`);
    expect(stackFrames(run.output)).toEqual([]);
  }, 60_000);

  it('on a busy port, says so in one line and suggests --port 0, exit 1', async () => {
    const blocker = await occupyPort();
    try {
      const port = (blocker.address() as { port: number }).port;
      const run = await runExample(script, ['--port', String(port), '--approve-as', 'alice']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`127.0.0.1:${port} is in use`);
      expect(run.stderr).toContain(`run with --port 0 to pick free ports, or, if a dev stack already runs there, with --issuer http://127.0.0.1:${port}`);
      expect(stackFrames(run.output)).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('examples: decisions typed at the prompt', () => {
  it('demo: accepts "approve as alice" (its own wording) after refusing an unknown name with the valid ids', async () => {
    const run = await runExample(examples.demo, ['--port', '0', '--state-dir', await stateDir()], {
      answers: [
        { after: /or here: .*: $/m, line: 'approve as mallory' },
        { after: /or here: .*: $/m, line: 'approve as alice' },
      ],
    });
    expect(run.stdout).toContain(`no approver "mallory"; ${VALID_IDS}`);
    expect(run.stdout).toContain('approved as alice');
    expect(run.stdout).toMatch(/executed once {2}payout po_/);
    expect(run.code).toBe(0);
  }, 60_000);

  it('openai: a human "deny" typed at the prompt is a successful denial, exit 0', async () => {
    const run = await runExample(examples.openai, ['--port', '0'], { answers: [{ after: /or here: .*: $/m, line: 'deny' }] });
    expect(run.stdout).toContain('denied as alice');
    expect(run.stdout).toContain('create_payout -> denied: the approver denied the request: denied in the terminal');
    expect(run.stdout).toContain('balances changed: none');
    expect(run.stdout).not.toContain('expected');
    expect(run.code).toBe(0);
  }, 60_000);

  it('openai: --deny is a successful denial too, and --approve-as alice pays once, exit 0', async () => {
    const denied = await runExample(examples.openai, ['--port', '0', '--deny']);
    expect(denied.stdout).toContain('balances changed: none');
    expect(denied.code).toBe(0);
    const approved = await runExample(examples.openai, ['--port', '0', '--approve-as', 'alice']);
    expect(approved.stdout).toContain('balances changed: acc_operating 250000 -> 249750 EUR');
    expect(approved.code).toBe(0);
  }, 90_000);

  it('langchain: keeps reading after an unknown name, then pays once', async () => {
    const run = await runExample(examples.langchain, ['--port', '0', '--scripted'], {
      answers: [
        { after: /or here: .*: $/m, line: 'mallory' },
        { after: /or here: .*: $/m, line: 'alice' },
      ],
    });
    expect(run.stdout).toContain(`no approver "mallory"; ${VALID_IDS}`);
    expect(run.stdout).toContain('approved as alice');
    expect(run.stdout).toContain('treasury acc_operating 250000 -> 249750; payouts executed: 1');
    expect(run.code).toBe(0);
  }, 60_000);

  it.each(allExamples)('%s: Ctrl-C at the prompt stops quietly with exit 130', async (_name, script) => {
    const run = await runCommand(process.execPath, ['--import', 'tsx', script, ...(await withStateDir(script, ['--port', '0']))], {
      keepStdinOpen: true,
      onOutput: (output, child) => {
        if (/or here: .*: $/m.test(output) && child.exitCode === null && !child.killed) child.kill('SIGINT');
      },
    });
    expect(run.stderr).toMatch(/: interrupted; stopping\n$/);
    expect(stackFrames(run.output)).toEqual([]);
    expect(run.code).toBe(130);
  }, 60_000);

  it('pnpm demo --help (through pnpm itself) prints the usage, exit 0', async () => {
    const run = await runCommand('pnpm', ['--silent', 'demo', '--help']);
    expect(run.stdout).toMatch(/^Usage: pnpm demo \[options\]/);
    expect(run.code).toBe(0);
  });
});

describe('examples: the treasury refusal and a running dev stack', () => {
  let stack: DevStack;
  beforeAll(async () => {
    stack = await startDevStack({ port: 0, toolApiPort: 0 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('demo: --amount 900000 shows the treasury API reason for its 409', async () => {
    const run = await runExample(examples.demo, ['--amount', '900000', '--approve-as', 'alice', '--approve-as', 'bob', '--port', '0', '--state-dir', await stateDir()]);
    expect(run.stdout).toContain('the treasury API refused the payout (HTTP 409): the account balance is too low for this payout');
    expect(run.code).toBe(1);
    expect(stackFrames(run.output)).toEqual([]);
  }, 60_000);

  it.each(allExamples)('%s: dual control prints the progress line after the first approval, before the second', async (_name, script) => {
    const run = await runExample(script, await withStateDir(script, ['--issuer', stack.issuer, '--tool-api', stack.toolApiUrl, '--amount', '4200', '--approve-as', 'alice', '--approve-as', 'bob']));
    expect(run.code).toBe(0);
    const first = run.stdout.indexOf('approved as alice (--approve-as): 1 of 2 approvals (alice); waiting for one more of: bob');
    const second = run.stdout.indexOf('approved as bob (--approve-as): 2 of 2 approvals (alice, bob)');
    expect(first).toBeGreaterThan(-1);
    expect(second).toBeGreaterThan(first);
    expect(run.stdout).not.toMatch(/\(\d of \d approvals\)/);
  }, 60_000);

  it.each(allExamples)('%s: runs against a running dev stack with --issuer and --tool-api', async (_name, script) => {
    const run = await runExample(script, await withStateDir(script, ['--issuer', stack.issuer, '--tool-api', stack.toolApiUrl, '--approve-as', 'alice']));
    expect(run.output).toContain(stack.issuer);
    expect(run.output).not.toMatch(/authorization server .*127\.0\.0\.1:4000/);
    expect(run.code).toBe(0);
    expect(stack.approvals.list().filter((view) => view.status === 'approved').length).toBeGreaterThan(0);
  }, 60_000);

  it('refuses --issuer where no dev stack answers, in one line, exit 1', async () => {
    const blocker = await occupyPort();
    const port = (blocker.address() as { port: number }).port;
    await new Promise((resolve) => blocker.close(resolve));
    const run = await runExample(examples.demo, ['--issuer', `http://127.0.0.1:${port}`]);
    expect(run.stderr).toContain(`pnpm demo: no dev stack answers at http://127.0.0.1:${port}\n  start one with pnpm dev-stack`);
    expect(run.code).toBe(1);
    expect(stackFrames(run.output)).toEqual([]);
  });
});

function occupyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
