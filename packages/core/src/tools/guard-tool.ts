import type { ZodType } from 'zod';
import { ConfigurationError } from '../errors.js';
import type { Agent } from '../types.js';
import type { AuthorizationDetail } from '../oauth/types.js';
import { actionAuthorizationDetails, argumentsSha256 } from './action-binding.js';
import { createApprovalFlow, type ParsedCall } from './approval-flow.js';
import { asError, errorFields } from './error-fields.js';
import { ToolExecutionError } from './errors.js';
import { parseToolArguments, parseToolArgumentsSync } from './parse-arguments.js';
import { toolCallPorts } from './ports.js';
import { singleFlight } from './single-flight.js';
import { summarizeArguments } from '../audit/summarize-arguments.js';
import type { AuditEventInput } from '../audit/types.js';
import type { BoundFetch, GuardedTool, InvokeOptions, ToolDefinition, ToolOutcome } from './types.js';

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const RISK_TIERS = new Set(['read', 'write', 'irreversible']);

/**
 * Wraps a tool so that the model can call it only within its risk tier:
 *
 * - arguments are validated with the tool's zod schema (`failed` with {@link InvalidArgumentsError}
 *   otherwise; nothing runs);
 * - `read` and `write` tools run at once with the agent's routine DPoP token for `resource` and
 *   `scope`;
 * - `irreversible` tools ask a human first: the RFC 8785 canonical arguments are hashed into an
 *   `agent_action` authorization detail, a CIBA request goes to the approver, and the call returns
 *   `approval_pending`. `resume()` polls once; once approved, and only if the arguments still hash
 *   the same, the function runs exactly once with a fetch bound to the action token. Every later or
 *   concurrent resume returns the stored outcome.
 *
 * @example
 * ```ts
 * const createPayout = guardTool(agent, {
 *   name: 'create_payout',
 *   description: 'Sends money from one of our accounts',
 *   schema: z.object({ accountId: z.string(), recipient: z.string(), amount: z.number().positive(), currency: z.string() }),
 *   risk: 'irreversible',
 *   resource: 'http://127.0.0.1:4001',
 *   scope: 'payouts:write',
 *   approval: {
 *     approver: 'alice',
 *     describe: (args) => `Pay ${args.amount} ${args.currency} to ${args.recipient}`,
 *     details: (args) => ({ amount: args.amount, currency: args.currency }),
 *   },
 *   execute: async (args, { fetch }) => (await fetch('http://127.0.0.1:4001/payouts', { method: 'POST', body: JSON.stringify(args) })).json(),
 * });
 * const outcome = await createPayout.invoke(args, { callId });
 * ```
 * @throws {ConfigurationError} at once when the definition is incomplete (for example an
 * irreversible tool without an approval policy).
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-2
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html
 */
export function guardTool<Schema extends ZodType, Result>(agent: Agent, definition: ToolDefinition<Schema, Result>): GuardedTool<Schema, Result> {
  validateDefinition(definition);
  const tool = definition.name;
  const schema = definition.schema as ZodType;
  const generic = definition as unknown as ToolDefinition<ZodType, Result>;
  const ports = toolCallPorts(agent);

  const auditFor = (call: ParsedCall | undefined, options: InvokeOptions) => {
    // Once per call: every event of the call carries the same summary.
    const argsSummary = call === undefined ? undefined : summarizeArguments(call.args);
    return (input: AuditEventInput) =>
      ports.record({
        tool,
        callId: options.callId,
        argsSha256: call?.argsSha256,
        argsSummary,
        // The auditor hands these only to sinks that asked for full payloads.
        args: call?.args,
        scope: definition.scope,
        resource: definition.resource,
        ...input,
      });
  };

  async function parse(args: unknown, options: InvokeOptions): Promise<ParsedCall | ToolOutcome<Result>> {
    try {
      const parsed = await parseToolArguments(tool, schema, args);
      return { args: parsed, argsSha256: argumentsSha256(tool, parsed) };
    } catch (error) {
      auditFor(undefined, options)({ event: 'tool.refused', outcome: 'error', error: errorFields(error) });
      return { status: 'failed', tool, error: asError(error) };
    }
  }

  async function runRoutine(call: ParsedCall, options: InvokeOptions, audit: ReturnType<typeof auditFor>): Promise<ToolOutcome<Result>> {
    audit({ event: 'tool.invoked' });
    const binding = { resource: definition.resource, scope: definition.scope };
    let token;
    try {
      token = await ports.getToken({ ...binding, signal: options.signal });
    } catch (error) {
      audit({ event: 'tool.failed', outcome: 'error', error: errorFields(error) });
      return { status: 'failed', tool, error: asError(error) };
    }
    // Bound to the routine token's resource and scope, so agent.fetch can refresh it if the API
    // rejects it; a caller cannot swap in another token.
    const boundFetch: BoundFetch = (url, init) => {
      const { token: _token, resource: _resource, scope: _scope, ...rest } = (init ?? {}) as Record<string, unknown>;
      return ports.fetch(url, { ...rest, ...binding });
    };
    try {
      const result = await definition.execute(call.args as never, { fetch: boundFetch, token, argsSha256: call.argsSha256, callId: options.callId, signal: options.signal });
      audit({ event: 'tool.executed', outcome: 'ok' });
      return { status: 'done', tool, result, argsSha256: call.argsSha256 };
    } catch (error) {
      const failure = new ToolExecutionError(tool, error);
      audit({ event: 'tool.failed', outcome: 'error', error: errorFields(failure) });
      return { status: 'failed', tool, error: failure };
    }
  }

  /** Runs the approval flow; any failure becomes a `failed` outcome (an abort of `signal` is thrown). */
  async function guarded(
    call: ParsedCall,
    options: InvokeOptions,
    approvalId: string | undefined,
    run: (flow: ReturnType<typeof createApprovalFlow<Result>>) => Promise<ToolOutcome<Result>>,
  ): Promise<ToolOutcome<Result>> {
    const audit = auditFor(call, options);
    try {
      return await run(createApprovalFlow(ports, generic, audit, agent.clientId));
    } catch (error) {
      if (options.signal?.aborted && error === options.signal.reason) throw error;
      audit({ event: 'tool.failed', approvalId, outcome: 'error', error: errorFields(error) });
      return { status: 'failed', tool, approvalId, error: asError(error) };
    }
  }

  return Object.freeze({
    name: tool,
    description: definition.description,
    schema: definition.schema,
    risk: definition.risk,

    async invoke(args: unknown, options: InvokeOptions = {}): Promise<ToolOutcome<Result>> {
      const call = await parse(args, options);
      if ('status' in call) return call;
      if (definition.risk !== 'irreversible') return runRoutine(call, options, auditFor(call, options));
      if (options.callId === undefined) return guarded(call, options, undefined, (flow) => flow.request(call, options));
      const callId = options.callId;
      return singleFlight(ports.ledger, `call:${tool}:${agent.clientId}:${callId}:${call.argsSha256}`, () =>
        guarded(call, options, undefined, async (flow) => {
          // LangGraph and other loops run a tool body again for the same call: resume, do not ask twice.
          const existing = await flow.findOwnCall(callId);
          return existing === undefined ? flow.requestOnce(callId, call, options) : flow.resume(existing.id, call, options);
        }),
      );
    },

    async resume(approvalId: string, args: unknown, options: InvokeOptions = {}): Promise<ToolOutcome<Result>> {
      if (definition.risk !== 'irreversible') {
        return { status: 'failed', tool, approvalId, error: new ConfigurationError(`tool ${tool} is ${definition.risk}: it has no approvals to resume`) };
      }
      const call = await parse(args, options);
      if ('status' in call) return { ...call, approvalId };
      return guarded(call, options, approvalId, (flow) => flow.resume(approvalId, call, options));
    },

    authorizationDetails(args: unknown): AuthorizationDetail[] {
      if (definition.approval === undefined) throw new ConfigurationError(`tool ${tool} is ${definition.risk}: it is not approved per call`);
      const parsed = parseToolArgumentsSync(tool, schema, args);
      return actionAuthorizationDetails(tool, argumentsSha256(tool, parsed), definition.approval as never, parsed);
    },
  });
}

function validateDefinition(definition: ToolDefinition<ZodType, unknown>): void {
  if (typeof definition !== 'object' || definition === null) throw new ConfigurationError('a tool definition is required');
  const { name } = definition;
  if (typeof name !== 'string' || !TOOL_NAME.test(name)) {
    throw new ConfigurationError('tool name must be 1-64 letters, digits, underscores or hyphens');
  }
  if (typeof definition.description !== 'string') throw new ConfigurationError(`tool ${name} needs a description`);
  if (typeof definition.schema?.safeParseAsync !== 'function') throw new ConfigurationError(`tool ${name} needs a zod schema`);
  if (!RISK_TIERS.has(definition.risk)) throw new ConfigurationError(`tool ${name} risk must be read, write or irreversible`);
  if (typeof definition.resource !== 'string' || !URL.canParse(definition.resource)) {
    throw new ConfigurationError(`tool ${name} resource must be an absolute URI (RFC 8707 resource indicator)`);
  }
  if (definition.scope !== undefined && typeof definition.scope !== 'string') throw new ConfigurationError(`tool ${name} scope must be a string`);
  if (typeof definition.execute !== 'function') throw new ConfigurationError(`tool ${name} needs an execute function`);
  const { approval } = definition;
  if (definition.risk !== 'irreversible') return;
  if (approval === undefined) throw new ConfigurationError(`tool ${name} is irreversible: it needs an approval policy (approver, describe)`);
  if (!(typeof approval.approver === 'function' || (typeof approval.approver === 'string' && approval.approver.trim() !== ''))) {
    throw new ConfigurationError(`tool ${name} approval.approver must be a login hint or a function of the arguments`);
  }
  if (typeof approval.describe !== 'function') throw new ConfigurationError(`tool ${name} approval.describe must be a function giving the binding message`);
  if (approval.details !== undefined && typeof approval.details !== 'function') throw new ConfigurationError(`tool ${name} approval.details must be a function`);
  if (approval.mode !== undefined && approval.mode !== 'single' && approval.mode !== 'dual') {
    throw new ConfigurationError(`tool ${name} approval.mode must be single or dual`);
  }
  if (approval.requestedExpiry !== undefined && (!Number.isInteger(approval.requestedExpiry) || approval.requestedExpiry <= 0)) {
    throw new ConfigurationError(`tool ${name} approval.requestedExpiry must be a positive whole number of seconds`);
  }
}
