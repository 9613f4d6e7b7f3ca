import { CountersignError, guardTool, type Agent, type ApprovalPolicy, type GuardedTool, type InvokeOptions, type ToolOutcome } from '@countersign/core';
import type { BoundFetch } from '@countersign/core/tools';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { z } from 'zod';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { MCP_APPROVAL_REQUIRED_CODE, MCP_RISK_META_KEY } from '../server/protect-mcp.js';
import { withoutPatterns } from './without-patterns.js';

/** Arguments of an MCP tool whose input schema cannot be read: any object (the MCP server validates it). */
const argumentsSchema = z.record(z.string(), z.unknown());
type McpArguments = z.infer<typeof argumentsSchema>;

/**
 * The tool's arguments schema from the JSON Schema its server declares in `tools/list`, so models
 * are shown the real parameters and malformed arguments are refused before a human is asked;
 * any object when the declared schema is missing or cannot be read. The server's `pattern` and
 * `patternProperties` are left out (see `withoutPatterns`): compiled here they would be RegExps a
 * hostile server chooses, run on the model's arguments (ReDoS); the server checks them itself.
 *
 * @see https://modelcontextprotocol.io/specification/2025-06-18/server/tools#tool (inputSchema)
 */
export function mcpArgumentsSchema(inputSchema: unknown): typeof argumentsSchema {
  if (typeof inputSchema !== 'object' || inputSchema === null || (inputSchema as { type?: unknown }).type !== 'object') return argumentsSchema;
  try {
    const { $schema: _dialect, ...schema } = inputSchema as Record<string, unknown>;
    return z.fromJSONSchema(withoutPatterns(schema) as Parameters<typeof z.fromJSONSchema>[0]) as unknown as typeof argumentsSchema;
  } catch {
    return argumentsSchema;
  }
}

/** The result of an MCP `tools/call`. */
export interface McpToolResult {
  content: unknown[];
  structuredContent?: Record<string, unknown> | undefined;
  isError?: boolean | undefined;
}

/** Options of {@link mcpTools}. */
export interface McpToolsOptions {
  /** The MCP endpoint, e.g. `https://mcp.example/mcp`. */
  url: string;
  /** RFC 8707 resource indicator of its tokens (the `resource` of its RFC 9728 metadata). */
  resource: string;
  /** Scope of the routine token (default none). */
  scope?: string | undefined;
  /** Who approves irreversible calls and what they are shown (core's approval policy). */
  approval: ApprovalPolicy<McpArguments>;
  /** Name and version this client announces to the server. */
  clientInfo?: { name: string; version: string } | undefined;
}

/**
 * The MCP server refused a `tools/call` until a human approves it: the RFC 9396
 * `authorization_details` it named are in `authorizationDetails`.
 */
export class McpApprovalRequiredError extends CountersignError {
  static override readonly code: string = 'ERR_MCP_APPROVAL_REQUIRED';
  override readonly code = 'ERR_MCP_APPROVAL_REQUIRED';
  constructor(
    readonly tool: string,
    readonly authorizationDetails: ReadonlyArray<Record<string, unknown>>,
  ) {
    super(`the MCP server requires an approved action for ${tool}`);
  }
}

/**
 * An MCP tool behind core's guard: routine calls run with the agent's routine DPoP-bound token;
 * an irreversible call (announced by the server in the tool's `_meta`, or learned from the
 * server's refusal naming an `agent_action`) becomes a CIBA approval, surfaces
 * `approval_pending`, and on approval runs that one `tools/call` with the action token, exactly
 * once, also across restarts and duplicate resumes (core's approval store).
 */
export interface McpGuardedTool extends GuardedTool<typeof argumentsSchema, McpToolResult> {
  /** Whether the tool is now treated as irreversible. */
  readonly irreversible: boolean;
}

/**
 * Lists the MCP server's tools (as the agent, with its routine token) and wraps each one with
 * core's guard, so agent loops (LangChain/LangGraph, OpenAI) pause and resume on MCP tools as on
 * local ones.
 *
 * @example
 * ```ts
 * const tools = await mcpTools(agent, { url: 'https://mcp.example/mcp', resource: 'https://mcp.example/mcp', approval: { approver: 'alice', describe: (args) => `Pay ${args.amount}` } });
 * const outcome = await tools.find((tool) => tool.name === 'create_payout')!.invoke({ amount: 10 }, { callId });
 * // outcome.status === 'approval_pending' → later: tool.resume(outcome.approvalId, args, { callId })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9396 (authorization_details)
 */
export async function mcpTools(agent: Agent, options: McpToolsOptions): Promise<McpGuardedTool[]> {
  const listed = await withMcpSession(options, (init) => agent.fetch(init.url, { ...init.init, resource: options.resource, scope: options.scope }), (client) =>
    client.listTools(),
  );
  return listed.tools.map((tool) =>
    mcpTool(agent, options, {
      name: tool.name,
      description: tool.description ?? tool.name,
      irreversible: tool._meta?.[MCP_RISK_META_KEY] === 'irreversible',
      readOnly: tool.annotations?.readOnlyHint === true,
      schema: mcpArgumentsSchema(tool.inputSchema),
    }),
  );
}

/** One MCP tool behind the guard; see {@link mcpTools}. */
export function mcpTool(
  agent: Agent,
  options: McpToolsOptions,
  tool: {
    name: string;
    description: string;
    irreversible?: boolean | undefined;
    readOnly?: boolean | undefined;
    /** Arguments schema (default: any object); see {@link mcpArgumentsSchema}. */
    schema?: typeof argumentsSchema | undefined;
  },
): McpGuardedTool {
  const schema = tool.schema ?? argumentsSchema;
  const routineTier = tool.readOnly ? ('read' as const) : ('write' as const);
  const definition = (risk: 'read' | 'write' | 'irreversible') =>
    guardTool(agent, {
      name: tool.name,
      description: tool.description,
      schema,
      risk,
      resource: options.resource,
      scope: options.scope,
      approval: options.approval,
      execute: (args, context) => callTool(options, tool.name, args, context.fetch),
    });
  const routine = definition(routineTier);
  const guarded = definition('irreversible');
  let irreversible = tool.irreversible ?? false;

  async function invoke(args: unknown, invokeOptions?: InvokeOptions): Promise<ToolOutcome<McpToolResult>> {
    if (irreversible) return guarded.invoke(args, invokeOptions);
    const outcome = await routine.invoke(args, invokeOptions);
    if (outcome.status === 'failed' && approvalRequired(outcome.error)) {
      // The server holds this tool for a human: from now on it is irreversible, and this call asks.
      irreversible = true;
      return guarded.invoke(args, invokeOptions);
    }
    return outcome;
  }

  return {
    name: tool.name,
    description: tool.description,
    schema,
    get risk() {
      return irreversible ? ('irreversible' as const) : routineTier;
    },
    get irreversible() {
      return irreversible;
    },
    invoke,
    resume: (approvalId, args, resumeOptions) => guarded.resume(approvalId, args, resumeOptions),
    authorizationDetails: (args) => guarded.authorizationDetails(args),
  };
}

function approvalRequired(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof McpApprovalRequiredError) return true;
  }
  return false;
}

/** One `tools/call` over its own MCP session, every request sent through `boundFetch` (one token). */
async function callTool(options: McpToolsOptions, name: string, args: McpArguments, boundFetch: BoundFetch): Promise<McpToolResult> {
  const send = ({ url, init }: { url: string | URL; init: RequestInit }) => boundFetch(url, init as Parameters<BoundFetch>[1]);
  try {
    return (await withMcpSession(options, send, (client) => client.callTool({ name, arguments: args }))) as McpToolResult;
  } catch (error) {
    const details = (error instanceof McpError && error.code === MCP_APPROVAL_REQUIRED_CODE ? (error.data as { authorization_details?: unknown }) : undefined)
      ?.authorization_details;
    if (Array.isArray(details)) throw new McpApprovalRequiredError(name, details as Array<Record<string, unknown>>);
    throw error;
  }
}

async function withMcpSession<T>(
  options: McpToolsOptions,
  send: (request: { url: string | URL; init: RequestInit }) => Promise<Response>,
  use: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client(options.clientInfo ?? { name: 'countersign-agent', version: '0.1.0' }, { capabilities: {} });
  const transport = new StreamableHTTPClientTransport(new URL(options.url), {
    fetch: (url, init) => send({ url, init: { ...init, headers: plainHeaders(init?.headers) } }),
  });
  await client.connect(transport);
  try {
    return await use(client);
  } finally {
    await client.close().catch(() => undefined);
  }
}

function plainHeaders(headers: HeadersInit | undefined): Record<string, string> {
  const plain: Record<string, string> = {};
  new Headers(headers).forEach((value, name) => (plain[name] = value));
  return plain;
}
