import { CountersignError } from '@countersign/core';

/**
 * The model called a tool that is not among the guarded tools it was given. Nothing ran; the
 * model is told so in the tool message.
 */
export class UnknownToolError extends CountersignError {
  static override readonly code: string = 'ERR_UNKNOWN_TOOL';
  override readonly code = 'ERR_UNKNOWN_TOOL';
  /** The name the model used. */
  readonly tool: string;
  constructor(tool: string, known: readonly string[]) {
    super(`unknown tool ${JSON.stringify(tool.slice(0, 64))}; the tools are ${known.map((name) => JSON.stringify(name)).join(', ')}`);
    this.tool = tool;
  }
}
