import { ApprovalStoreError } from '../errors.js';
import { parseSerializedApproval } from '../approvals/serialized-approval.js';
import type { StoredToolCall } from './tool-call-ledger.js';

const states: ReadonlySet<string> = new Set<StoredToolCall['state']>(['pending', 'executing', 'done', 'failed', 'denied', 'expired', 'unknown']);

/** States after which a tool call never changes again. */
export const FINAL_STATES: ReadonlySet<StoredToolCall['state']> = new Set<StoredToolCall['state']>(['done', 'failed', 'denied', 'expired', 'unknown']);

/**
 * Checks a stored tool call read back from storage, member by member.
 *
 * @throws {ApprovalStoreError} naming the member at fault (with the approval's own error as `cause`).
 */
export function parseStoredToolCall(value: unknown, where: string): StoredToolCall {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ApprovalStoreError(`${where} is not an object`);
  const record = value as Record<string, unknown>;
  for (const member of ['id', 'tool', 'argsSha256'] as const) {
    if (typeof record[member] !== 'string' || record[member] === '') throw new ApprovalStoreError(`${where}.${member} must be a non-empty string`);
  }
  for (const member of ['callId', 'clientId'] as const) {
    if (record[member] !== undefined && (typeof record[member] !== 'string' || record[member] === '')) {
      throw new ApprovalStoreError(`${where}.${member} must be a non-empty string`);
    }
  }
  if (record.sharedWith !== undefined && !(Array.isArray(record.sharedWith) && record.sharedWith.every((callId) => typeof callId === 'string' && callId !== ''))) {
    throw new ApprovalStoreError(`${where}.sharedWith must be a list of non-empty strings`);
  }
  if (typeof record.state !== 'string' || !states.has(record.state)) throw new ApprovalStoreError(`${where}.state is not a known state`);
  if (record.fence !== undefined && !(Number.isSafeInteger(record.fence) && (record.fence as number) > 0)) {
    throw new ApprovalStoreError(`${where}.fence must be a positive integer`);
  }
  if (typeof record.updatedAt !== 'number' || !Number.isFinite(record.updatedAt)) throw new ApprovalStoreError(`${where}.updatedAt must be a number`);
  let approval;
  try {
    approval = parseSerializedApproval(record.approval);
  } catch (error) {
    throw new ApprovalStoreError(`${where}.approval is malformed`, { cause: error });
  }
  if (approval.id !== record.id) throw new ApprovalStoreError(`${where}.approval.id does not match its id`);
  const call: StoredToolCall = {
    id: record.id as string,
    tool: record.tool as string,
    argsSha256: record.argsSha256 as string,
    approval,
    state: record.state as StoredToolCall['state'],
    updatedAt: record.updatedAt,
  };
  if (record.callId !== undefined) call.callId = record.callId as string;
  if (record.sharedWith !== undefined) call.sharedWith = [...(record.sharedWith as string[])];
  if (record.clientId !== undefined) call.clientId = record.clientId as string;
  if (record.fence !== undefined) call.fence = record.fence as number;
  if (record.outcome !== undefined) call.outcome = record.outcome;
  return call;
}

/**
 * The JSON form of `record`, checked: what every store keeps, so the memory and file stores accept
 * and return exactly the same things.
 *
 * @throws {ApprovalStoreError} when `record` is not a well-formed, JSON-representable tool call.
 */
export function normalizeStoredToolCall(record: StoredToolCall, where: string): StoredToolCall {
  let json: unknown;
  try {
    json = JSON.parse(JSON.stringify(record));
  } catch (error) {
    throw new ApprovalStoreError(`${where} cannot be stored as JSON`, { cause: error });
  }
  return parseStoredToolCall(json, where);
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

/** The one of `records` that {@link isPendingCall} and expires last, if any. */
export function newestPendingCall(records: Iterable<StoredToolCall>, tool: string, argsSha256: string, clientId: string): StoredToolCall | undefined {
  let newest: StoredToolCall | undefined;
  for (const record of records) {
    if (!isPendingCall(record, tool, argsSha256, clientId)) continue;
    if (newest === undefined || record.approval.expiresAt > newest.approval.expiresAt) newest = record;
  }
  return newest;
}
