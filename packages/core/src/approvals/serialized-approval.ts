import type { AuthorizationDetail } from '../oauth/types.js';
import { MalformedApprovalError } from './errors.js';
import type { ApprovalProgress, ApprovalStatus, ApproverRecord, SerializedApproval } from './types.js';

const statuses: ReadonlySet<string> = new Set<ApprovalStatus>(['pending', 'approved', 'denied', 'expired']);

/**
 * Reads a serialized approval (an object or its JSON text) and checks every member, so a
 * truncated, hand-edited or foreign value is refused before anything is sent to the server.
 * Returns a copy holding only the known members.
 *
 * @throws {MalformedApprovalError} naming the first member at fault (never its value).
 */
export function parseSerializedApproval(input: unknown): SerializedApproval {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      // No cause: the parser's message quotes the input, which holds the auth_req_id.
      throw new MalformedApprovalError('serialized approval is not valid JSON');
    }
  }
  if (!isObject(value)) throw new MalformedApprovalError('serialized approval must be a JSON object');
  if (value.version !== 1) throw new MalformedApprovalError('serialized approval has an unsupported version (expected 1)');
  const approval: SerializedApproval = {
    version: 1,
    id: text(value, 'id'),
    authReqId: text(value, 'authReqId'),
    status: status(value.status),
    expiresAt: time(value, 'expiresAt'),
    interval: interval(value.interval),
    nextPollAt: time(value, 'nextPollAt'),
    loginHint: text(value, 'loginHint'),
    bindingMessage: text(value, 'bindingMessage'),
    authorizationDetails: details(value.authorizationDetails),
  };
  const scope = optionalText(value, 'scope');
  if (scope !== undefined) approval.scope = scope;
  const resource = optionalText(value, 'resource');
  if (resource !== undefined) approval.resource = resource;
  const reason = optionalText(value, 'reason');
  if (reason !== undefined) approval.reason = reason;
  if (value.progress !== undefined) approval.progress = progress(value.progress);
  return approval;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: Record<string, unknown>, member: string): string {
  const found = value[member];
  if (typeof found !== 'string' || found === '') throw new MalformedApprovalError(`serialized approval ${member} must be a non-empty string`);
  return found;
}

function optionalText(value: Record<string, unknown>, member: string): string | undefined {
  return value[member] === undefined ? undefined : text(value, member);
}

function time(value: Record<string, unknown>, member: string): number {
  const found = value[member];
  if (typeof found !== 'number' || !Number.isFinite(found) || found < 0) {
    throw new MalformedApprovalError(`serialized approval ${member} must be a time in milliseconds`);
  }
  return found;
}

function status(value: unknown): ApprovalStatus {
  if (typeof value !== 'string' || !statuses.has(value)) {
    throw new MalformedApprovalError('serialized approval status must be pending, approved, denied or expired');
  }
  return value as ApprovalStatus;
}

function interval(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new MalformedApprovalError('serialized approval interval must be a positive number of seconds');
  }
  return value;
}

function details(value: unknown): AuthorizationDetail[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new MalformedApprovalError('serialized approval authorizationDetails must be a non-empty array');
  }
  return value.map((detail, index) => {
    if (!isObject(detail) || typeof detail.type !== 'string' || detail.type === '') {
      throw new MalformedApprovalError(`serialized approval authorizationDetails[${index}] must be an object with a string type`);
    }
    return structuredClone(detail) as AuthorizationDetail;
  });
}

function progress(value: unknown): ApprovalProgress {
  if (!isObject(value) || typeof value.required !== 'number' || !Number.isInteger(value.required) || value.required < 1) {
    throw new MalformedApprovalError('serialized approval progress.required must be a positive integer');
  }
  if (!Array.isArray(value.received)) throw new MalformedApprovalError('serialized approval progress.received must be an array');
  const received = value.received.map((entry, index): ApproverRecord => {
    if (!isObject(entry) || typeof entry.subject !== 'string' || entry.subject === '') {
      throw new MalformedApprovalError(`serialized approval progress.received[${index}].subject must be a non-empty string`);
    }
    if (entry.approvedAt === undefined) return { subject: entry.subject };
    if (typeof entry.approvedAt !== 'number' || !Number.isFinite(entry.approvedAt)) {
      throw new MalformedApprovalError(`serialized approval progress.received[${index}].approvedAt must be a number`);
    }
    return { subject: entry.subject, approvedAt: entry.approvedAt };
  });
  if (value.waitingFor === undefined) return { required: value.required, received };
  if (!Array.isArray(value.waitingFor) || value.waitingFor.some((entry) => typeof entry !== 'string' || entry === '')) {
    throw new MalformedApprovalError('serialized approval progress.waitingFor must be an array of non-empty strings');
  }
  return { required: value.required, received, waitingFor: [...(value.waitingFor as string[])] };
}
