import { z, type ZodType } from 'zod';
import { ConfigurationError } from '@countersign/core';

/** A JSON Schema object, as sent to the model. */
export type JsonSchema = Record<string, unknown>;

/** What the model is shown of a tool's arguments, and how its answer maps back. */
export interface ModelToolParameters {
  /** JSON Schema of the arguments (from the zod schema's input side). */
  parameters: JsonSchema;
  /**
   * Whether `parameters` fits OpenAI's strict mode (Structured Outputs), so the model's arguments
   * are constrained to it while it decodes.
   */
  strict: boolean;
  /**
   * Maps the model's parsed arguments to the tool's input. In strict mode every property is
   * required, so an optional property is offered as nullable and a `null` from the model means
   * "absent": it is removed here. Everything else passes unchanged; the guard validates.
   */
  toToolArguments(value: unknown): unknown;
}

/** Options of {@link toolParameters}. */
export interface ToolParametersOptions {
  /**
   * `undefined` (default): strict when the schema can be expressed in strict mode. `false`: never.
   * `true`: required; a schema that cannot be expressed throws a ConfigurationError.
   */
  strict?: boolean | undefined;
}

/** Where `null` from the model stands for an omitted optional property. */
interface NullMeansAbsent {
  keys: Set<string>;
  properties: Map<string, NullMeansAbsent>;
  items?: NullMeansAbsent | undefined;
}

class NotStrict extends Error {}

// Keywords strict mode accepts (OpenAI Structured Outputs, "Supported schemas"). Anything else
// (allOf, not, oneOf, minLength, patternProperties, …) keeps a tool out of strict mode.
const strictKeywords = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'items', 'anyOf', 'enum', 'const',
  '$ref', '$defs', 'definitions', 'description', 'title',
  'pattern', 'format',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf',
  'minItems', 'maxItems',
]);
const strictFormats = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid']);

/**
 * The JSON Schema a model is shown for a tool's zod schema, made strict-mode compatible where
 * that loses nothing: objects closed (`additionalProperties: false`), every property required,
 * optional properties offered as nullable. Schemas strict mode cannot express are sent as
 * they are, with `strict: false`; the guard validates the arguments either way.
 *
 * @example
 * ```ts
 * const { parameters, strict } = toolParameters(z.object({ keyId: z.string(), reason: z.string() }));
 * ```
 * @see https://platform.openai.com/docs/guides/structured-outputs#supported-schemas
 */
export function toolParameters(schema: ZodType, options: ToolParametersOptions = {}): ModelToolParameters {
  // A plain copy: zod's JSON Schema also carries a non-enumerable `~standard` member, which makes
  // the Agents SDK take it for a Standard Schema and refuse it outside strict mode.
  const input = structuredClone(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' })) as JsonSchema;
  delete input.$schema;
  if (options.strict === false) return { parameters: input, strict: false, toToolArguments: (value) => value };
  const candidate = structuredClone(input);
  try {
    const nullMeansAbsent = strictRoot(candidate);
    return { parameters: candidate, strict: true, toToolArguments: (value) => removeAbsentNulls(value, nullMeansAbsent) };
  } catch (error) {
    if (!(error instanceof NotStrict)) throw error;
    if (options.strict === true) throw new ConfigurationError(`tool schema cannot be expressed in OpenAI strict mode: ${error.message}`);
    return { parameters: input, strict: false, toToolArguments: (value) => value };
  }
}

function strictRoot(schema: JsonSchema): NullMeansAbsent | undefined {
  if (schema.type !== 'object') throw new NotStrict('the root is not an object');
  for (const keyword of ['$defs', 'definitions']) {
    const definitions = schema[keyword];
    if (definitions === undefined) continue;
    if (!isRecord(definitions)) throw new NotStrict(`${keyword} is not an object`);
    // Nulls inside shared definitions cannot be traced back to one path: optional members there stay out.
    for (const [name, definition] of Object.entries(definitions)) strictNode(definition, `${keyword}/${name}`, false);
  }
  return strictNode(schema, '', true);
}

/** Makes `node` strict in place; returns where a `null` means an omitted property, if anywhere. */
function strictNode(node: unknown, path: string, canOmit: boolean): NullMeansAbsent | undefined {
  if (!isRecord(node)) throw new NotStrict(`${path || '<root>'} is not a schema object`);
  for (const keyword of Object.keys(node)) {
    if (!strictKeywords.has(keyword)) throw new NotStrict(`${path || '<root>'} uses ${keyword}`);
  }
  if (!('type' in node || 'anyOf' in node || 'enum' in node || 'const' in node || '$ref' in node)) {
    throw new NotStrict(`${path || '<root>'} has no type`);
  }
  if (typeof node.format === 'string' && !strictFormats.has(node.format)) throw new NotStrict(`${path} uses format ${node.format}`);
  if (Array.isArray(node.anyOf)) node.anyOf.forEach((branch, index) => strictNode(branch, `${path}/anyOf/${index}`, false));
  else if (node.anyOf !== undefined) throw new NotStrict(`${path} has a malformed anyOf`);

  const tree: NullMeansAbsent = { keys: new Set(), properties: new Map() };
  if (node.type === 'object' || 'properties' in node) {
    if (node.type !== 'object') throw new NotStrict(`${path} mixes object and other types`);
    if (!isRecord(node.properties)) throw new NotStrict(`${path || '<root>'} is an open object`);
    if (node.additionalProperties === undefined) node.additionalProperties = false;
    else if (node.additionalProperties !== false) throw new NotStrict(`${path || '<root>'} allows additional properties`);
    const required = new Set(Array.isArray(node.required) ? node.required : []);
    for (const [key, property] of Object.entries(node.properties)) {
      const child = strictNode(property, `${path}/${key}`, canOmit);
      if (child) tree.properties.set(key, child);
      if (required.has(key) || acceptsNull(property)) continue;
      if (!canOmit) throw new NotStrict(`${path}/${key} is optional inside a union or definition`);
      node.properties[key] = { anyOf: [property, { type: 'null' }] };
      tree.keys.add(key);
    }
    node.required = Object.keys(node.properties);
  }
  if (node.items !== undefined) {
    if (Array.isArray(node.items)) throw new NotStrict(`${path} is a tuple`);
    tree.items = strictNode(node.items, `${path}/items`, canOmit);
  }
  return tree.keys.size > 0 || tree.properties.size > 0 || tree.items ? tree : undefined;
}

function acceptsNull(schema: unknown): boolean {
  if (!isRecord(schema)) return false;
  if (schema.type === 'null' || (Array.isArray(schema.type) && schema.type.includes('null'))) return true;
  if (schema.const === null || (Array.isArray(schema.enum) && schema.enum.includes(null))) return true;
  return Array.isArray(schema.anyOf) && schema.anyOf.some(acceptsNull);
}

function removeAbsentNulls(value: unknown, tree: NullMeansAbsent | undefined): unknown {
  if (!tree || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return tree.items ? value.map((item) => removeAbsentNulls(item, tree.items)) : value;
  const result: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    if (member === null && tree.keys.has(key)) continue;
    result[key] = removeAbsentNulls(member, tree.properties.get(key));
  }
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
