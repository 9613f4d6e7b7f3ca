// STUB: replaced by the approvals work (issue 4). The signature is the contract the adapters use.
import type { ZodType } from 'zod';
import { CountersignError } from '../errors.js';
import type { Agent } from '../types.js';
import type { GuardedTool, ToolDefinition } from './types.js';

/** Wraps a tool definition so risky calls wait for a human. */
export function guardTool<Schema extends ZodType, Result>(
  _agent: Agent,
  _definition: ToolDefinition<Schema, Result>,
): GuardedTool<Schema, Result> {
  throw new CountersignError('the tool guard is not implemented yet');
}
