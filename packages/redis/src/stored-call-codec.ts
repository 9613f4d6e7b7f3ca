import { ApprovalStoreError } from '@countersign/core';
import type { StoredToolCall } from '@countersign/core/tools';

const STATES = new Set(['pending', 'executing', 'done', 'failed', 'denied', 'expired', 'unknown']);

/**
 * Reads a stored tool call back from its JSON text, checking the members the store itself relies
 * on. The approval inside is checked again by the agent when it resumes it.
 *
 * @throws {ApprovalStoreError} when the text is not a stored tool call (never quoting it: it holds a CIBA handle).
 */
export function decodeStoredCall(text: string, key: string): StoredToolCall {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApprovalStoreError(`${key} is not valid JSON`);
  }
  const record = value as Partial<StoredToolCall> | null;
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof record.id !== 'string' ||
    typeof record.tool !== 'string' ||
    typeof record.argsSha256 !== 'string' ||
    typeof record.state !== 'string' ||
    !STATES.has(record.state) ||
    typeof record.approval !== 'object' ||
    record.approval === null ||
    record.approval.id !== record.id ||
    typeof record.approval.authReqId !== 'string' ||
    record.approval.authReqId === '' ||
    typeof record.approval.expiresAt !== 'number' ||
    !(record.callId === undefined || typeof record.callId === 'string') ||
    !(record.clientId === undefined || typeof record.clientId === 'string') ||
    !(record.sharedWith === undefined || (Array.isArray(record.sharedWith) && record.sharedWith.every((callId) => typeof callId === 'string' && callId !== '')))
  ) {
    throw new ApprovalStoreError(`${key} is not a stored tool call`);
  }
  return record as StoredToolCall;
}

/**
 * The JSON text of `record`, checked the same way as on the way back.
 *
 * @throws {ApprovalStoreError} when `record` is not a well-formed, JSON-representable tool call.
 */
export function encodeStoredCall(record: StoredToolCall, key: string): { text: string; record: StoredToolCall } {
  let text: string;
  try {
    text = JSON.stringify(record);
  } catch (error) {
    throw new ApprovalStoreError(`tool call for ${key} cannot be stored as JSON`, { cause: error });
  }
  if (typeof text !== 'string') throw new ApprovalStoreError(`tool call for ${key} cannot be stored as JSON`);
  return { text, record: decodeStoredCall(text, key) };
}

/**
 * Whether `record` answers for the model tool call `callId` of `tool` (its own, or one coalesced onto
 * it) and, given `clientId`, was not stored by another agent.
 */
export function answersCall(record: StoredToolCall, tool: string, callId: string, clientId?: string): boolean {
  if (clientId !== undefined && record.clientId !== undefined && record.clientId !== clientId) return false;
  return record.tool === tool && (record.callId === callId || (record.sharedWith?.includes(callId) ?? false));
}

/** Whether `record` is the pending call of `clientId` for `tool` with arguments hashing to `argsSha256`. */
export function isPendingCall(record: StoredToolCall, tool: string, argsSha256: string, clientId: string): boolean {
  return record.state === 'pending' && record.tool === tool && record.argsSha256 === argsSha256 && record.clientId === clientId;
}
