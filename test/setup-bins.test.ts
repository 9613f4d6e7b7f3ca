/**
 * A fresh clone after `bash scripts/setup.sh demo` (no build step): the workspace's bins
 * `countersign` and `countersign-dev` work through `pnpm exec`, as the READMEs say.
 * The clone is a copy of this checkout's files in the ignored `.countersign/` folder.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot, runCommand, stackFrames } from '../examples/shared/run-command.js';

const execute = promisify(execFile);
const clone = join(repositoryRoot, '.countersign', `fresh-clone-${process.pid}`);

beforeAll(async () => {
  await rm(clone, { recursive: true, force: true });
  await mkdir(clone, { recursive: true });
  // What `git clone` would give: the checkout's files, without node_modules, dist/ or state.
  const { stdout } = await execute('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repositoryRoot, maxBuffer: 16 * 1024 * 1024 });
  for (const file of stdout.split('\0').filter((path) => path !== '' && !path.startsWith('.countersign/'))) {
    if (!existsSync(join(repositoryRoot, file))) continue; // deleted in the working tree
    await mkdir(dirname(join(clone, file)), { recursive: true });
    await cp(join(repositoryRoot, file), join(clone, file));
  }
  const setup = await execute('bash', ['scripts/setup.sh', 'demo'], { cwd: clone, timeout: 170_000, maxBuffer: 16 * 1024 * 1024 });
  expect(setup.stdout).toContain('Node.js for project commands: v24');
}, 180_000);

afterAll(async () => {
  await rm(clone, { recursive: true, force: true });
});

function inClone(args: string[], options: Parameters<typeof runCommand>[2] = {}) {
  return runCommand('pnpm', ['--dir', clone, 'exec', ...args], options);
}

describe('bins right after bash scripts/setup.sh demo', () => {
  it('has no build: nothing under packages/*/dist', () => {
    expect(existsSync(join(clone, 'packages', 'core', 'dist'))).toBe(false);
    expect(existsSync(join(clone, 'packages', 'devkit', 'dist'))).toBe(false);
  });

  it('pnpm exec countersign --help prints usage, exit 0', async () => {
    const run = await inClone(['countersign', '--help']);
    expect(run.stdout).toMatch(/^Usage: countersign audit verify/);
    expect(run.code).toBe(0);
  });

  it('pnpm exec countersign-dev --help prints usage, exit 0; a bad flag is one line and a hint, exit 1', async () => {
    const help = await inClone(['countersign-dev', '--help']);
    expect(help.stdout).toMatch(/^Usage: countersign-dev \[options\]/);
    expect(help.code).toBe(0);
    const bad = await inClone(['countersign-dev', '--bogus']);
    expect(bad.stderr).toBe("countersign-dev: Unknown option '--bogus'\nRun countersign-dev --help for usage.\n");
    expect(bad.code).toBe(1);
  });

  it('pnpm exec countersign-dev --port 0 starts the stack, serves its inbox, and stops on SIGINT', async () => {
    let inboxStatus: number | undefined;
    const run = await inClone(['countersign-dev', '--port', '0'], {
      onOutput: (output, child) => {
        const inbox = /approval inbox\s+(\S+)/.exec(output)?.[1];
        if (inbox === undefined || inboxStatus !== undefined || !output.includes('Press Ctrl-C to stop.')) return;
        inboxStatus = 0;
        fetch(inbox).then(
          (response) => {
            inboxStatus = response.status;
            child.kill('SIGINT');
          },
          () => child.kill('SIGINT'),
        );
      },
      timeoutMs: 60_000,
    });
    expect(inboxStatus).toBe(200);
    expect(run.stdout).toContain('countersign-dev: stopped');
    expect(stackFrames(run.output)).toEqual([]);
  }, 60_000);
});
