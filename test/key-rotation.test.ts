/**
 * Key rotation without downtime (issue 7, item 4), against the devkit's real authorization server
 * and treasury API: a rotation in the middle of 200 calls (stage → publish → activate → retire)
 * fails none of them while the server sees assertions signed by both kids; and, to show why the
 * order matters, activating before publishing gets `invalid_client`, which stops the agent for good.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeProtectedHeader } from 'jose';
import { Agent as UndiciAgent, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '@countersign/devkit';
import { createAgent } from '../packages/core/src/agent.js';
import type { AuditEvent } from '../packages/core/src/audit/types.js';
import { AgentRevokedError } from '../packages/core/src/errors.js';
import { fileKeyStore } from '../packages/core/src/keys/file-key-store.js';
import type { RotatingKeyStore } from '../packages/core/src/keys/key-store.js';

let stack: DevStack;
let directory: string;
const dispatchers: UndiciAgent[] = [];

beforeAll(async () => {
  // One-second access tokens: the agent refreshes about every half second, so token requests (and
  // client assertions) keep happening while the key rotates.
  stack = await startDevStack({ port: 0, toolApiPort: 0, accessTokenTtl: 1 });
  directory = await mkdtemp(join(tmpdir(), 'countersign-key-rotation-'));
});
afterAll(async () => {
  await stack?.close();
  await Promise.all(dispatchers.map((dispatcher) => dispatcher.close()));
  if (directory) await rm(directory, { recursive: true, force: true });
});

interface Assertion {
  kid: string;
  /** Index of the step of the rotation in force when the assertion was sent. */
  phase: number;
}

/**
 * A real connection pool that notes the `kid` of every client assertion sent to the authorization
 * server (only the header is decoded; nothing is kept of the assertion itself).
 */
function watchingDispatcher(seen: Assertion[], phase: () => number): Dispatcher {
  const base = new UndiciAgent();
  dispatchers.push(base);
  return base.compose((dispatch) => (request, handler) => {
    if (typeof request.body === 'string' && request.body.includes('client_assertion=')) {
      const assertion = new URLSearchParams(request.body).get('client_assertion');
      if (assertion) seen.push({ kid: String(decodeProtectedHeader(assertion).kid), phase: phase() });
    }
    return dispatch(request, handler);
  });
}

async function startAgent(clientId: string, store: RotatingKeyStore, seen: Assertion[], phase: () => number) {
  const events: AuditEvent[] = [];
  const scopes = ['accounts:read', 'payouts:write'];
  const publish = async () => stack.registerAgent({ clientId, jwks: await store.jwks(), scopes });
  await publish();
  const agent = await createAgent({
    issuer: stack.issuer,
    clientId,
    key: store,
    dispatcher: watchingDispatcher(seen, phase),
    audit: { write: (event) => void events.push(event) },
  });
  return { agent, events, publish };
}

const accounts = () => ({ resource: stack.toolApiUrl, scope: 'accounts:read' });

describe('identity key rotation on a live agent', () => {
  it('rotates in the middle of 200 calls (stage, publish, activate, retire) and fails none of them', { timeout: 60_000 }, async () => {
    const store = fileKeyStore(join(directory, 'live'));
    const old = await store.load();
    const seen: Assertion[] = [];
    let phase = 0; // 0 before, 1 staged, 2 published, 3 activated, 4 retired and published again
    const { agent, events, publish } = await startAgent(`rotating-live-${process.pid}`, store, seen, () => phase);
    // The operator's side runs as another process would: its own store on the same directory.
    const operator = fileKeyStore(join(directory, 'live'));
    let next: Awaited<ReturnType<RotatingKeyStore['rotate']>> | undefined;

    const statuses: number[] = [];
    const failures: unknown[] = [];
    let completed = 0;
    let stepping: Promise<void> = Promise.resolve();

    async function step(): Promise<void> {
      if (phase === 0 && completed >= 40) {
        next = await operator.rotate();
        phase = 1;
      } else if (phase === 1 && completed >= 70) {
        await publish();
        phase = 2;
      } else if (phase === 2 && completed >= 100) {
        await operator.activate(next!.kid);
        phase = 3;
      } else if (phase === 3 && completed >= 130) {
        // Retire only once the server has issued a token for the new key: from then on no
        // assertion signed by the old key can still be in flight (one token request at a time).
        const newKeyIssued = events.some((event) => event.event === 'token.issued' && event.kid === next!.kid);
        if (!newKeyIssued) return;
        await operator.retire(old.kid);
        await publish();
        phase = 4;
      }
    }

    async function worker(calls: number): Promise<void> {
      for (let index = 0; index < calls; index++) {
        try {
          const response = await agent.fetch(`${stack.toolApiUrl}/accounts`, accounts());
          statuses.push(response.status);
          const body = (await response.json()) as { accounts?: unknown[] };
          if (!Array.isArray(body.accounts)) failures.push(new Error('no accounts in the answer'));
        } catch (error) {
          failures.push(error);
        }
        completed++;
        stepping = stepping.then(step);
        await stepping;
        await sleep(25);
      }
    }

    try {
      await Promise.all([worker(100), worker(100)]);
      await agent.audit.flush();
    } finally {
      await agent.close();
    }

    expect(failures).toEqual([]);
    expect(statuses).toHaveLength(200);
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(phase).toBe(4);

    // Several token requests happened, and the authorization server accepted assertions by both kids.
    const kids = new Set(seen.map((assertion) => assertion.kid));
    expect(kids).toEqual(new Set([old.kid, next!.kid]));
    expect(seen.length).toBeGreaterThanOrEqual(4);
    // Staged, the new key signs nothing; activated, the old key signs nothing more.
    expect(seen.filter((assertion) => assertion.phase <= 2).every((assertion) => assertion.kid === old.kid)).toBe(true);
    expect(seen.filter((assertion) => assertion.phase === 4).length).toBeGreaterThanOrEqual(1);
    expect(seen.filter((assertion) => assertion.phase === 4).every((assertion) => assertion.kid === next!.kid)).toBe(true);

    const issued = events.filter((event) => event.event === 'token.issued');
    expect(new Set(issued.map((event) => event.kid))).toEqual(new Set([old.kid, next!.kid]));
    expect(events.filter((event) => event.event === 'token.failed' || event.event === 'agent.revoked')).toEqual([]);
    const rotations = events.filter((event) => event.event === 'key.rotated');
    expect(rotations).toHaveLength(1);
    expect(rotations[0]).toMatchObject({ kid: next!.kid, previousKid: old.kid, outcome: 'ok' });
    expect(agent.keyId).toBe(next!.kid);

    expect((await store.jwks()).keys.map((key) => key.kid)).toEqual([next!.kid]);
    expect((await store.jwks({ includeRetired: true })).keys.map((key) => key.kid)).toEqual([next!.kid, old.kid]);
  });

  it('activating before publishing breaks the agent for good: invalid_client is revocation', { timeout: 30_000 }, async () => {
    const store = fileKeyStore(join(directory, 'hasty'));
    const old = await store.load();
    const seen: Assertion[] = [];
    const { agent, events, publish } = await startAgent(`rotating-hasty-${process.pid}`, store, seen, () => 0);
    try {
      const before = await agent.fetch(`${stack.toolApiUrl}/accounts`, accounts());
      expect(before.status).toBe(200);

      // The wrong order: the new key signs before the authorization server has it.
      const next = await store.rotate({ activate: true });
      const refused = await agent.getToken({ resource: stack.toolApiUrl, scope: 'payouts:write' }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(AgentRevokedError);
      expect(seen.at(-1)?.kid).toBe(next.kid);

      // Publishing afterwards does not bring it back: the agent stopped at the first refusal.
      await publish();
      expect((await store.jwks()).keys.map((key) => key.kid)).toEqual([next.kid, old.kid]);
      await expect(agent.fetch(`${stack.toolApiUrl}/accounts`, accounts())).rejects.toBeInstanceOf(AgentRevokedError);
      await expect(agent.getToken({ resource: stack.toolApiUrl, scope: 'payouts:write' })).rejects.toBeInstanceOf(AgentRevokedError);
      const sent = seen.length;
      await agent.fetch(`${stack.toolApiUrl}/accounts`, accounts()).catch(() => undefined);
      expect(seen).toHaveLength(sent); // nothing more reaches the server

      await agent.audit.flush();
      expect(events.filter((event) => event.event === 'agent.revoked')).toHaveLength(1);
    } finally {
      await agent.close();
    }
  });
});
