import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJsonBody, RequestBodyError, sendRefusal, verifyNodeRequest, type ResourceServer, type VerifyOptions } from '@countersign/server';

/** How much harm an MCP tool can do (core's risk tiers). */
export type McpRiskTier = 'read' | 'write' | 'irreversible';

/** The policy of one MCP tool. */
export interface McpToolPolicy {
  /** `irreversible` tools run only with an action token approving exactly that `tools/call`. */
  risk: McpRiskTier;
  /** Scope the token must hold to call it (default: the endpoint's `scope`). */
  scope?: string | undefined;
  /** Distinct approvers an irreversible call needs (default 1; 2 for dual control). */
  approvers?: number | undefined;
}

/** Options of {@link protectMcpEndpoint}. */
export interface McpProtectionOptions {
  /** The enforcement point (`createResourceServer` of `@countersign/server`). */
  resourceServer: ResourceServer;
  /** The URL clients address the MCP endpoint at (the DPoP proofs' `htu`), e.g. `https://mcp.example/mcp`. */
  url: string;
  /** Scope every request to the endpoint needs (default none beyond a valid bound token). */
  scope?: string | undefined;
  /** Per-tool policies by tool name; a tool not listed is `write`. */
  tools?: Readonly<Record<string, McpToolPolicy>> | undefined;
  /** Largest JSON-RPC body accepted, bytes (default 64 KiB). */
  bodyLimit?: number | undefined;
}

/**
 * JSON-RPC error code of a `tools/call` refused until a human approves it (implementation-defined
 * server error range). The error's `data` names the `authorization_details` to ask for.
 */
export const MCP_APPROVAL_REQUIRED_CODE = -32040;

/** Refusals that a human approval of the exact call resolves, answered inside the protocol. */
const approvalReasons = new Set(['approval_required', 'approval_mismatch', 'approval_location', 'approvers_insufficient']);

/** The `_meta` key under which a server announces a tool's risk tier in `tools/list`. */
export const MCP_RISK_META_KEY = 'io.countersign/risk';

/**
 * What one JSON-RPC message needs from the request's token: the endpoint's scope, and for a
 * `tools/call` of an irreversible tool an `agent_action` approving exactly that tool with exactly
 * these arguments (RFC 8785 hash). A batch containing an irreversible call is refused as a whole:
 * one action token approves one call.
 *
 * @example
 * ```ts
 * mcpRequirement({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'create_payout', arguments } }, options);
 * // { scope: 'payouts:write', action: { tool: 'create_payout', args: arguments } }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-2
 */
export function mcpRequirement(message: unknown, options: Pick<McpProtectionOptions, 'scope' | 'tools'>): VerifyOptions | 'batched_action' {
  const messages = Array.isArray(message) ? message : [message];
  const calls = messages.filter(isToolCall);
  const risky = calls.filter((call) => options.tools?.[call.params.name]?.risk === 'irreversible');
  if (risky.length > 0 && messages.length > 1) return 'batched_action';
  const scopes = new Set<string>(options.scope ? options.scope.split(' ') : []);
  for (const call of calls) for (const scope of options.tools?.[call.params.name]?.scope?.split(' ') ?? []) scopes.add(scope);
  const requirement: VerifyOptions = scopes.size > 0 ? { scope: [...scopes] } : {};
  const call = risky[0];
  if (call !== undefined) {
    const policy = options.tools![call.params.name]!;
    requirement.action = { tool: call.params.name, args: call.params.arguments ?? {}, ...(policy.approvers ? { approvers: policy.approvers } : {}) };
  }
  return requirement;
}

interface ToolCall {
  method: 'tools/call';
  params: { name: string; arguments?: Record<string, unknown> };
}

function isToolCall(message: unknown): message is ToolCall {
  if (typeof message !== 'object' || message === null) return false;
  const { method, params } = message as { method?: unknown; params?: { name?: unknown } };
  return method === 'tools/call' && typeof params === 'object' && params !== null && typeof params.name === 'string';
}

/**
 * Protects an MCP Streamable HTTP endpoint with `@countersign/server`: every request needs a
 * DPoP-bound token with a valid proof (Bearer is refused); a `tools/call` of an irreversible tool
 * also needs an action token approving exactly that call, spent by the call. A missing or
 * mismatched approval is the call's answer: a JSON-RPC error ({@link MCP_APPROVAL_REQUIRED_CODE})
 * whose `data.authorization_details` name what to ask the authorization server for. Every other
 * refusal is sent as the enforcement point made it (status, `WWW-Authenticate`, `DPoP-Nonce`,
 * JSON body). Accepted requests go to
 * `handle` with their parsed body (pass it to the SDK transport's `handleRequest`).
 *
 * @example
 * ```ts
 * const endpoint = protectMcpEndpoint({ resourceServer: rs, url: 'https://mcp.example/mcp', tools: { create_payout: { risk: 'irreversible' } } },
 *   async (req, res, body) => { const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined }); await server.connect(transport); await transport.handleRequest(req, res, body); });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7 (DPoP-bound tokens at a resource server)
 * @see https://www.rfc-editor.org/rfc/rfc9396 (authorization_details)
 */
export function protectMcpEndpoint(
  options: McpProtectionOptions,
  handle: (request: IncomingMessage, response: ServerResponse, body: unknown) => unknown,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  return async (request, response) => {
    let body: unknown;
    let requirement: VerifyOptions | 'batched_action' = options.scope ? { scope: options.scope } : {};
    if (request.method === 'POST') {
      try {
        body = await readJsonBody(request, options.bodyLimit);
      } catch (error) {
        if (error instanceof RequestBodyError) return sendRefusal(response, error);
        throw error;
      }
      requirement = mcpRequirement(body, options);
    }
    if (requirement === 'batched_action') {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'invalid_request', error_description: 'a call that needs approval cannot be batched' }));
      return;
    }
    const verdict = await verifyNodeRequest(options.resourceServer, request, { ...requirement, url: options.url });
    if (!verdict.ok && approvalReasons.has(verdict.reason) && !Array.isArray(body)) {
      // The token is good and the agent may call tools: only a human approval is missing. That is
      // the tool call's answer, so it goes back as a JSON-RPC error the agent loop can act on.
      response.writeHead(200, { ...withoutChallenge(verdict.headers), 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: (body as { id?: unknown } | undefined)?.id ?? null,
          error: {
            code: MCP_APPROVAL_REQUIRED_CODE,
            message: verdict.description,
            data: { reason: verdict.reason, authorization_details: verdict.body.authorization_details ?? [] },
          },
        }),
      );
      return;
    }
    if (!verdict.ok) return sendRefusal(response, verdict);
    for (const [name, value] of Object.entries(verdict.headers)) response.setHeader(name, value);
    await handle(request, response, body);
  };
}

function withoutChallenge(headers: Record<string, string>): Record<string, string> {
  const { 'www-authenticate': _challenge, ...rest } = headers;
  return rest;
}

/**
 * Serves the RFC 9728 protected resource metadata of the endpoint at `url`: at
 * `/.well-known/oauth-protected-resource` followed by the endpoint's path, and at the bare
 * well-known path. Returns true when it answered.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3
 */
export function serveResourceMetadata(resourceServer: ResourceServer, url: string): (request: IncomingMessage, response: ServerResponse) => boolean {
  const path = new URL(url).pathname.replace(/\/$/, '');
  const paths = new Set([`/.well-known/oauth-protected-resource${path}`, '/.well-known/oauth-protected-resource']);
  return (request, response) => {
    const requested = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET' || !paths.has(requested)) return false;
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
    response.end(JSON.stringify(resourceServer.metadata()));
    return true;
  };
}
