import assert from 'node:assert/strict';
import type { ApprovalStore, StoredToolCall } from '../tools/tool-call-ledger.js';

/** The `describe` and `it` of the caller's test runner (vitest, jest and node:test all fit). */
export interface ContractTestRunner {
  describe(name: string, body: () => void): unknown;
  it(name: string, test: () => Promise<void>): unknown;
}

/** How {@link approvalStoreContract} gets the stores it tests. */
export interface ApprovalStoreContractOptions {
  /** A new, empty store; called once per test (give each its own file, key prefix or database). */
  create(): ApprovalStore | Promise<ApprovalStore>;
  /**
   * Another handle on the same data as `store`: what a second process or connection sees. Default:
   * `store` itself. Stores shared across processes should give a real second handle.
   */
  reopen?(store: ApprovalStore): ApprovalStore | Promise<ApprovalStore>;
}

/**
 * A stored tool call for the contract tests, pending an approval that expires a minute from now
 * (stores may let records lapse with their approval).
 */
export function sampleToolCall(id: string, overrides: Partial<StoredToolCall> = {}): StoredToolCall {
  return {
    id,
    tool: 'create_payout',
    callId: `call-${id}`,
    argsSha256: 'hash',
    state: 'pending',
    updatedAt: 1,
    approval: {
      version: 1,
      id,
      authReqId: 'handle',
      status: 'pending',
      expiresAt: Date.now() + 60_000,
      interval: 5,
      nextPollAt: 5,
      loginHint: 'alice',
      bindingMessage: 'Pay',
      authorizationDetails: [{ type: 'agent_action', tool: 'create_payout', args_sha256: 'hash' }],
    },
    ...overrides,
  };
}

const isStoreError = (error: unknown) => (error as { code?: unknown } | undefined)?.code === 'ERR_APPROVAL_STORE';

async function rejectsWithStoreError(attempt: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(attempt, (error) => isStoreError(error), `${what}: expected ApprovalStoreError`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The contract every {@link ApprovalStore} keeps, as tests for the caller's runner: what the guard
 * relies on to run an approved call at most once (atomic updates per id, exclusive leases with
 * growing fencing tokens, copies out, malformed records refused with `ApprovalStoreError`). Store
 * authors run it against their store:
 *
 * ```ts
 * import { describe, it } from 'vitest';
 * import { approvalStoreContract } from '@countersign/core/testing';
 *
 * approvalStoreContract({ describe, it }, 'myStore', { create: () => myStore({ prefix: randomUUID() }) });
 * ```
 */
export function approvalStoreContract(runner: ContractTestRunner, name: string, options: ApprovalStoreContractOptions): void {
  const { describe, it } = runner;
  const pair = async (): Promise<[ApprovalStore, ApprovalStore]> => {
    const store = await options.create();
    return [store, options.reopen ? await options.reopen(store) : store];
  };

  describe(`${name}: the approval store contract`, () => {
    it('puts, gets, finds by tool call, lists and deletes; another handle sees the same', async () => {
      const [one, two] = await pair();
      assert.equal(await one.get('a'), undefined);
      const a = sampleToolCall('a');
      await one.put(a);
      await one.put(sampleToolCall('b', { tool: 'rotate_signing_key', callId: 'call-a' }));
      assert.deepEqual(await two.get('a'), a);
      assert.equal((await two.findByCall('create_payout', 'call-a'))?.id, 'a');
      assert.equal((await two.findByCall('rotate_signing_key', 'call-a'))?.id, 'b');
      assert.equal(await two.findByCall('create_payout', 'call-x'), undefined);
      assert.deepEqual((await two.list()).map((record) => record.id).sort(), ['a', 'b']);
      await two.delete('a');
      assert.equal(await one.get('a'), undefined);
      assert.equal(await one.findByCall('create_payout', 'call-a'), undefined);
      assert.equal((await one.list()).length, 1);
    });

    it('hands out copies: changing a record put or returned changes nothing stored', async () => {
      const [store] = await pair();
      const record = sampleToolCall('a');
      await store.put(record);
      record.state = 'done';
      const read = (await store.get('a'))!;
      read.state = 'failed';
      assert.equal((await store.get('a'))!.state, 'pending');
    });

    it('applies concurrent updates one after the other, none lost', async () => {
      const [one, two] = await pair();
      await one.put(sampleToolCall('a', { outcome: 0 }));
      await Promise.all(
        Array.from({ length: 40 }, (_, index) => (index % 2 === 0 ? one : two).update('a', (current) => ({ ...current, outcome: (current.outcome as number) + 1 }))),
      );
      assert.equal((await one.get('a'))!.outcome, 40);
    });

    it('lets exactly one of many concurrent claims move pending to executing', async () => {
      const [one, two] = await pair();
      await one.put(sampleToolCall('a'));
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          (index % 2 === 0 ? one : two)
            .update('a', (current) => (current.state === 'pending' ? { ...current, state: 'executing', fence: index + 1 } : current))
            .then((record) => record.fence === index + 1),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal((await two.get('a'))!.state, 'executing');
    });

    it('leaves the record unchanged when the change throws, and refuses unknown ids and id changes', async () => {
      const [store] = await pair();
      const a = sampleToolCall('a');
      await store.put(a);
      await assert.rejects(
        store.update('a', () => {
          throw new Error('no');
        }),
        /no/,
      );
      assert.deepEqual(await store.get('a'), a);
      await rejectsWithStoreError(store.update('missing', (current) => current), 'an unknown id');
      await rejectsWithStoreError(store.update('a', (current) => ({ ...current, id: 'b' })), 'an id change');
      assert.deepEqual(await store.get('a'), a);
    });

    it('refuses malformed records and stores none of them', async () => {
      const [store] = await pair();
      await rejectsWithStoreError(store.put({ ...sampleToolCall('a'), state: 'weird' } as never), 'an unknown state');
      await rejectsWithStoreError(store.put({ ...sampleToolCall('b'), approval: undefined } as never), 'no approval');
      await rejectsWithStoreError(store.put({ ...sampleToolCall('c'), approval: { ...sampleToolCall('c').approval, authReqId: '' } }), 'an empty handle');
      await rejectsWithStoreError(store.put({ ...sampleToolCall('d'), outcome: { big: 10n } }), 'an outcome that is not JSON');
      assert.deepEqual(await store.list(), []);
    });

    it('hands a lease to one holder at a time, with growing fencing tokens', async () => {
      const [one, two] = await pair();
      const first = await one.acquireLease('approval:a', 5_000);
      assert.ok(typeof first === 'number' && first > 0, 'a first lease gets a positive token');
      assert.equal(await two.acquireLease('approval:a', 5_000), undefined);
      assert.equal(await one.renewLease('approval:a', first, 5_000), true);
      assert.equal(await one.renewLease('approval:a', first + 1, 5_000), false);
      const other = await two.acquireLease('approval:b', 5_000);
      assert.ok(typeof other === 'number', 'another name is another lease');
      await one.releaseLease('approval:a', first);
      const second = await two.acquireLease('approval:a', 5_000);
      assert.ok(typeof second === 'number' && second > first, 'a later lease gets a greater token');
      await two.releaseLease('approval:a', second);
      await two.releaseLease('approval:b', other);
    });

    it('lets a lapsed lease go: the next holder gets a greater token, the old one can neither renew nor release', async () => {
      const [one, two] = await pair();
      const first = (await one.acquireLease('approval:a', 100))!;
      assert.ok(first > 0);
      await sleep(200);
      const second = await two.acquireLease('approval:a', 5_000);
      assert.ok(typeof second === 'number' && second > first, 'the lapsed lease is taken over');
      assert.equal(await one.renewLease('approval:a', first, 5_000), false);
      await one.releaseLease('approval:a', first);
      assert.equal(await one.acquireLease('approval:a', 5_000), undefined);
      await two.releaseLease('approval:a', second);
    });
  });
}
