/** Keywords whose value maps names (property names, definition names) to schemas. */
const NAME_MAP_KEYWORDS = new Set(['properties', 'dependentSchemas', 'dependencies', '$defs', 'definitions']);
/** Keywords whose value is instance data, never a schema: left exactly as declared. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples', 'required', 'dependentRequired']);

/**
 * A copy of a JSON Schema without `pattern` and `patternProperties`, wherever a schema can sit
 * (properties, items, anyOf, $defs, ...; a property that happens to be named `pattern` stays).
 *
 * Why: compiling a schema turns each pattern into a RegExp that runs on the model's arguments in this
 * process. The schema comes from the MCP server, so a hostile server could declare a catastrophic
 * pattern (`^(a+)+$`) and hang the client on a long argument (ReDoS). Leaving the patterns out only
 * loosens the client-side check: the server validates its own inputs, and the approval binds the
 * arguments as parsed. Where `patternProperties` is dropped, `additionalProperties` and
 * `unevaluatedProperties` of that object go too, so the keys it allowed are not refused.
 *
 * @see https://json-schema.org/draft/2020-12/json-schema-validation#section-6.3.3 (pattern)
 * @see https://json-schema.org/draft/2020-12/json-schema-core#section-10.3.2.2 (patternProperties)
 */
export function withoutPatterns(schema: unknown): unknown {
  return strip(schema, false);
}

function strip(node: unknown, namesHere: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => strip(item, false));
  if (typeof node !== 'object' || node === null) return node;
  const entries = Object.entries(node as Record<string, unknown>);
  if (namesHere) return Object.fromEntries(entries.map(([name, value]) => [name, strip(value, false)]));
  const hadPatternProperties = entries.some(([key]) => key === 'patternProperties');
  const kept: Array<[string, unknown]> = [];
  for (const [key, value] of entries) {
    if (key === 'pattern' || key === 'patternProperties') continue;
    if (hadPatternProperties && (key === 'additionalProperties' || key === 'unevaluatedProperties')) continue;
    kept.push([key, DATA_KEYWORDS.has(key) ? value : strip(value, NAME_MAP_KEYWORDS.has(key))]);
  }
  return Object.fromEntries(kept);
}
