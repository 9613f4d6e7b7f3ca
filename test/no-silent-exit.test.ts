/**
 * No silent exits: a caller resuming a call that another process is executing waits for its outcome
 * in a real child process with nothing else to keep Node alive; the process must stay up until the
 * call settles (an unref'd timer let it exit mid-await, with code 13 or 0 and no outcome).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileApprovalStore } from '../packages/core/src/tools/file-approval-store.js';
import { encodeOutcome } from '../packages/core/src/tools/stored-outcome.js';
import { createTestAgent } from '../packages/core/src/tools/testing/test-agent.js';
import { payout, payoutTool } from '../packages/core/src/tools/testing/payout-tool.js';
import type { ToolApprovalPending } from '../packages/core/src/tools/types.js';

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
const child = fileURLToPath(new URL('./helpers/resume-held-call.ts', import.meta.url));

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'countersign-silent-exit-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('a resume waiting on a call another process executes', () => {
  it('keeps its process alive until the call settles, then reports that outcome (never runs it)', async () => {
    const path = join(directory, 'approvals.json');
    const store = fileApprovalStore(path);
    const { agent, server, clock } = createTestAgent({ store, server: { interval: 1 } });
    const { tool } = payoutTool(agent);
    const pending = (await tool.invoke(payout, { callId: 'call-1' })) as ToolApprovalPending;
    server.approve(server.find(), 'alice');
    clock.advance(1_000);
    // This process claims the call, as the executor that is running it right now.
    const fence = await store.acquireLease(`approval:${pending.approvalId}`, 60_000);
    await store.update(pending.approvalId, (current) => ({ ...current, state: 'executing', fence }));

    const started = spawn(process.execPath, ['--import', 'tsx', child, path, pending.approvalId], { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    started.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const resuming = new Promise<void>((resolve) => {
      started.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.includes('resuming')) resolve();
      });
    });
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => started.on('close', (code) => resolve({ code, at: Date.now() })));

    await Promise.race([resuming, exited]);
    // Let the child wait through several polls with nothing but its own timer to keep it alive.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const settledAt = Date.now();
    const outcome = { status: 'done' as const, tool: 'create_payout', result: { payoutId: 'p-elsewhere' }, argsSha256: pending.argsSha256, approvalId: pending.approvalId };
    await store.update(pending.approvalId, (current) => ({ ...current, state: 'done', outcome: encodeOutcome(outcome), updatedAt: Date.now() }));

    const { code, at } = await exited;
    expect({ code, stderr: stderr.replace('resuming\n', '') }).toEqual({ code: 0, stderr: '' });
    expect(at).toBeGreaterThanOrEqual(settledAt);
    const report = JSON.parse(stdout) as { outcome: { status: string; result: unknown }; reads: number; executions: number };
    expect(report.outcome).toMatchObject({ status: 'done', result: { payoutId: 'p-elsewhere' } });
    expect(report.executions).toBe(0);
    // It really waited: it read the store again and again before the call settled.
    expect(report.reads).toBeGreaterThanOrEqual(5);
  }, 60_000);
});
