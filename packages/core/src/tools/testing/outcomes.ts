import type { ToolOutcome } from '../types.js';

/** The error of a `failed` outcome; throws for any other outcome. */
export function errorOf(outcome: ToolOutcome<unknown>): Error {
  if (outcome.status !== 'failed') throw new Error(`expected a failed outcome, got ${outcome.status}`);
  return outcome.error;
}
