/**
 * A redacted view of tool arguments for the audit trail: the same keys, with each value replaced
 * by its JSON type (`string`, `number`, `boolean`, `null`, `array(3)`), objects followed a few
 * levels deep. Values never appear.
 *
 * @example summarizeArguments({ accountId: 'acc_1', amount: 250 }) // { accountId: 'string', amount: 'number' }
 */
export function summarizeArguments(args: unknown, depth = 3): Record<string, unknown> {
  const summary = summarize(args, depth);
  return typeof summary === 'object' ? summary : { '(root)': summary };
}

function summarize(value: unknown, depth: number): string | Record<string, unknown> {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value !== 'object') return typeof value;
  if (depth === 0) return 'object';
  const summary: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) summary[key] = summarize(member, depth - 1);
  return summary;
}
