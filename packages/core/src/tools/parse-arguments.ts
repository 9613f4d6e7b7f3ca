import type { ZodType } from 'zod';
import { ConfigurationError, InvalidArgumentsError } from '../errors.js';

interface Issue {
  path: readonly PropertyKey[];
  message: string;
}

type ParseResult = { success: true; data: unknown } | { success: false; error: { issues: readonly Issue[] } };

/**
 * Validates tool arguments with the tool's zod schema (async refinements allowed) and returns the
 * parsed value: what the function receives and what is hashed.
 *
 * @throws {InvalidArgumentsError} listing each failing path and zod's message (never the values).
 */
export async function parseToolArguments(tool: string, schema: ZodType, args: unknown): Promise<unknown> {
  let result: ParseResult;
  try {
    result = (await schema.safeParseAsync(args)) as ParseResult;
  } catch (error) {
    throw new InvalidArgumentsError(tool, ['(root): the schema could not validate these arguments'], { cause: error });
  }
  return resultOf(tool, result);
}

/** {@link parseToolArguments} for schemas without async refinements. */
export function parseToolArgumentsSync(tool: string, schema: ZodType, args: unknown): unknown {
  let result: ParseResult;
  try {
    result = schema.safeParse(args) as ParseResult;
  } catch (error) {
    throw new ConfigurationError(`the schema of tool ${tool} needs async validation; invoke the tool instead`, { cause: error });
  }
  return resultOf(tool, result);
}

function resultOf(tool: string, result: ParseResult): unknown {
  if (result.success) return result.data;
  throw new InvalidArgumentsError(
    tool,
    result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
  );
}

/** `items[0].name`, or `(root)` for the arguments as a whole. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('');
}
