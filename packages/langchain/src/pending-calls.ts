import type { ApprovalStore, GuardedTool } from '@countersign/core';
import { argumentsHashOf, findWaitingCall } from '@countersign/core/adapters';

/** Where an earlier call of the same tool with the same arguments waits for approval. */
export interface PendingCall {
  approvalId: string;
  /** The (thread-scoped) call id the guard stored it under. */
  callId: string | undefined;
}

/**
 * Message mode: the model learns an action awaits approval and goes on; later it calls the tool
 * again, with a new tool call id but the same arguments. This index finds the earlier approval so
 * that call resumes it instead of asking the human a second time. The key is the guard's own
 * `args_sha256` of the arguments (the adapter hashes nothing itself), scoped to the thread.
 */
export interface PendingCallIndex {
  /** The guard's hash of `args`, or undefined when the guard cannot bind them (invalid arguments). */
  hashOf(args: unknown): string | undefined;
  find(threadId: string | undefined, argsSha256: string): Promise<PendingCall | undefined>;
  remember(threadId: string | undefined, argsSha256: string, call: PendingCall): void;
  forget(threadId: string | undefined, argsSha256: string): void;
}

/**
 * An in-memory index, backed by `store` (the agent's approval store) when given so that it still
 * finds a thread's pending calls after a restart.
 */
export function createPendingCallIndex(guarded: GuardedTool, store?: ApprovalStore): PendingCallIndex {
  const calls = new Map<string, PendingCall>();
  const keyOf = (threadId: string | undefined, argsSha256: string) => `${threadId === undefined ? '' : encodeURIComponent(threadId)}/${argsSha256}`;
  return {
    hashOf(args) {
      return argumentsHashOf(guarded, args);
    },
    async find(threadId, argsSha256) {
      const known = calls.get(keyOf(threadId, argsSha256));
      // The store is searched per thread only: a call outside any thread never takes over a
      // pending call of a conversation it does not belong to.
      if (known !== undefined || store === undefined || threadId === undefined) return known;
      return findWaitingCall(store, { tool: guarded.name, argsSha256, callIdPrefix: `${encodeURIComponent(threadId)}/` });
    },
    remember(threadId, argsSha256, call) {
      calls.set(keyOf(threadId, argsSha256), call);
    },
    forget(threadId, argsSha256) {
      calls.delete(keyOf(threadId, argsSha256));
    },
  };
}
