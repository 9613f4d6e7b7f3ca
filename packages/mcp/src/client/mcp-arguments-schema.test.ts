import { describe, expect, it } from 'vitest';
import { mcpArgumentsSchema } from './mcp-tools.js';
import { withoutPatterns } from './without-patterns.js';

const catastrophic = '^(a+)+$';
// With the pattern compiled, matching this takes about 2^30 backtracking steps: the client would hang.
const hostileArgument = `${'a'.repeat(30)}!`;

describe('mcpArgumentsSchema with a server-declared pattern (ReDoS)', () => {
  it('does not run a catastrophic pattern on the arguments, and still parses them', () => {
    const schema = mcpArgumentsSchema({
      type: 'object',
      properties: {
        memo: { type: 'string', pattern: catastrophic },
        lines: { type: 'array', items: { type: 'object', properties: { note: { type: 'string', pattern: catastrophic } } } },
        target: { anyOf: [{ type: 'string', pattern: catastrophic }, { type: 'number' }] },
        tags: { type: 'object', patternProperties: { [catastrophic]: { type: 'string' } }, additionalProperties: false },
      },
      required: ['memo'],
    });
    const args = { memo: hostileArgument, lines: [{ note: hostileArgument }], target: hostileArgument, tags: { [hostileArgument]: 'x' } };
    const started = performance.now();
    const parsed = schema.safeParse(args);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toEqual(args);
  });

  it('keeps every other constraint the server declared', () => {
    const schema = mcpArgumentsSchema({
      type: 'object',
      properties: { memo: { type: 'string', pattern: catastrophic, maxLength: 5 }, amount: { type: 'number' } },
      required: ['amount'],
    });
    expect(schema.safeParse({ amount: 1, memo: 'abc' }).success).toBe(true);
    expect(schema.safeParse({ amount: 1, memo: 'abcdefg' }).success).toBe(false);
    expect(schema.safeParse({ memo: 'abc' }).success).toBe(false);
    expect(schema.safeParse({ amount: 'one' }).success).toBe(false);
  });
});

describe('withoutPatterns', () => {
  it('strips pattern and patternProperties wherever a schema sits, never a property so named nor instance data', () => {
    const stripped = withoutPatterns({
      type: 'object',
      properties: {
        pattern: { type: 'string', pattern: 'x' },
        patternProperties: { type: 'object', patternProperties: { y: {} }, additionalProperties: false, minProperties: 1 },
      },
      $defs: { code: { type: 'string', pattern: 'z' } },
      allOf: [{ not: { pattern: 'w' } }],
      propertyNames: { pattern: 'v' },
      enum: [{ pattern: 'kept' }],
      default: { pattern: 'kept' },
    });
    expect(stripped).toEqual({
      type: 'object',
      properties: { pattern: { type: 'string' }, patternProperties: { type: 'object', minProperties: 1 } },
      $defs: { code: { type: 'string' } },
      allOf: [{ not: {} }],
      propertyNames: {},
      enum: [{ pattern: 'kept' }],
      default: { pattern: 'kept' },
    });
  });
});
