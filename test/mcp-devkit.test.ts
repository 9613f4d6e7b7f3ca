/**
 * @countersign/mcp end to end on the devkit's real authorization server: an MCP server (the SDK's
 * McpServer over Streamable HTTP) protected by @countersign/server refuses Bearer tokens, replayed
 * proofs and action tokens for other arguments; a risky MCP tool call pauses, is approved in the
 * devkit, and runs exactly once under duplicate and concurrent resumes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { TREASURY_SCOPES, type DevStack, startDevStack } from '@countersign/devkit';
import type { AccessToken, Agent } from '@countersign/core';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { MCP_APPROVAL_REQUIRED_CODE, McpApprovalRequiredError, mcpTools, type McpGuardedTool, type McpToolsOptions } from '@countersign/mcp';
import { createDevAgent } from './helpers/dev-agent.js';
import { treasuryMcpToolsOptions } from './helpers/treasury-mcp-options.js';
import { startTreasuryMcpServer, type TreasuryMcpServer } from '../examples/mcp-payout/treasury-mcp-server.js';

let stack: DevStack;
let dev: Awaited<ReturnType<typeof createDevAgent>>;
let agent: Agent;
let mcp: TreasuryMcpServer;
let options: McpToolsOptions;
let sequence = 0;

beforeAll(async () => {
  mcp = await startTreasuryMcpServer({});
  stack = await startDevStack({ port: 0, toolApiPort: 0, pollInterval: 1, resources: [{ url: mcp.url, scopes: TREASURY_SCOPES }] });
  await mcp.trust(stack.issuer);
  dev = await createDevAgent(stack, [...TREASURY_SCOPES]);
  agent = dev.agent;
  options = treasuryMcpToolsOptions(mcp.url);
});
afterAll(async () => {
  await mcp?.close();
  await dev?.close();
  await stack?.close();
});

const jsonRpc = (id: number, method: string, params: Record<string, unknown> = {}) => JSON.stringify({ jsonrpc: '2.0', id, method, params });
const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** Approves the one pending request in the devkit: alice, and bob too where dual control applies. */
async function approveInDevkit(): Promise<void> {
  const pending = stack.approvals.list().filter((approval) => approval.status === 'pending');
  expect(pending).toHaveLength(1);
  let view = await stack.approvals.approve(pending[0]!.id, 'alice');
  if (view.status === 'pending') view = await stack.approvals.approve(pending[0]!.id, 'bob');
  expect(view.status).toBe('approved');
}

/** An action token approving `args` for `tool`, obtained through the real CIBA flow. */
async function actionTokenFor(tool: string, args: Record<string, unknown>): Promise<AccessToken> {
  const tools = await mcpTools(agent, options);
  const guarded = tools.find((candidate) => candidate.name === tool)!;
  const pending = await agent.requestApproval({
    loginHint: 'alice',
    bindingMessage: options.approval.describe(args),
    authorizationDetails: guarded.authorizationDetails(args),
    resource: mcp.url,
  });
  await approveInDevkit();
  return pending.wait();
}

/** One tools/call over the SDK client, every request carrying `token` (with a fresh DPoP proof each). */
async function callWithToken(token: AccessToken, name: string, args: Record<string, unknown>): Promise<{ error?: unknown; statuses: number[] }> {
  const statuses: number[] = [];
  const client = new Client({ name: 'test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(mcp.url), {
    fetch: async (url, init) => {
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((value, key) => (headers[key] = value));
      const response = await agent.fetch(url, { method: init?.method, headers, body: init?.body as string | undefined, token });
      statuses.push(response.status);
      return response;
    },
  });
  await client.connect(transport);
  try {
    await client.callTool({ name, arguments: args });
    return { statuses };
  } catch (error) {
    return { error, statuses };
  } finally {
    await client.close();
  }
}

describe('a protected MCP server', () => {
  it('serves RFC 9728 metadata that requires DPoP-bound tokens', async () => {
    const response = await fetch(new URL('/.well-known/oauth-protected-resource/mcp', mcp.url));
    expect(await response.json()).toMatchObject({ resource: mcp.url, authorization_servers: [stack.issuer], dpop_bound_access_tokens_required: true });
  });

  it('refuses a Bearer token and a request without a token', async () => {
    const token = await agent.getToken({ resource: mcp.url, scope: 'accounts:read' });
    const bearer = await fetch(mcp.url, { method: 'POST', headers: { ...mcpHeaders, authorization: `Bearer ${token.accessToken}` }, body: jsonRpc(1, 'tools/list') });
    expect(bearer.status).toBe(401);
    expect(bearer.headers.get('www-authenticate')).toMatch(/^DPoP /);
    const anonymous = await fetch(mcp.url, { method: 'POST', headers: mcpHeaders, body: jsonRpc(1, 'tools/list') });
    expect(anonymous.status).toBe(401);
  });

  it('refuses a replayed proof', async () => {
    const tools = await mcpTools(agent, options);
    expect(tools.map((tool) => tool.name).sort()).toEqual(['close_account', 'create_payout', 'list_accounts']);
    const captured = mcp.acceptedHeaders.at(-1)!;
    const replay = await fetch(mcp.url, {
      method: 'POST',
      headers: { ...mcpHeaders, authorization: String(captured.authorization), dpop: String(captured.dpop), 'mcp-protocol-version': '2025-06-18' },
      body: jsonRpc(7, 'tools/list'),
    });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('refuses an action token approving other arguments, and a routine token for an irreversible tool', async () => {
    const approved = { accountId: 'acc_operating', recipient: 'ACME Supplies Ltd', amount: 25, currency: 'EUR' };
    const token = await actionTokenFor('create_payout', approved);
    const other = await callWithToken(token, 'create_payout', { ...approved, amount: 2500 });
    expect(other.error).toBeInstanceOf(McpError);
    expect(other.error).toMatchObject({ code: MCP_APPROVAL_REQUIRED_CODE, data: { reason: 'approval_mismatch' } });

    const routine = await agent.getToken({ resource: mcp.url, scope: 'accounts:read' });
    const refused = await callWithToken(routine, 'create_payout', approved);
    expect(refused.error).toMatchObject({ code: MCP_APPROVAL_REQUIRED_CODE, data: { reason: 'approval_required' } });
    const named = (refused.error as McpError).data as { authorization_details: Array<Record<string, unknown>> };
    expect(named.authorization_details[0]).toMatchObject({ type: 'agent_action', tool: 'create_payout', args: approved });
    expect(mcp.payouts).toHaveLength(0);

    // The exact call runs once with that token; the token is spent.
    expect((await callWithToken(token, 'create_payout', approved)).error).toBeUndefined();
    expect(mcp.payouts).toHaveLength(1);
    const again = await callWithToken(token, 'create_payout', approved);
    expect(again.error).toBeDefined();
    expect(mcp.payouts).toHaveLength(1);
  });
});

describe('risky MCP tool calls through the guard', () => {
  it('a routine tool runs with the routine token', async () => {
    const tools = await mcpTools(agent, options);
    const outcome = await tools.find((tool) => tool.name === 'list_accounts')!.invoke({});
    expect(outcome.status).toBe('done');
  });

  it('pauses, is approved in the devkit, and runs exactly once under duplicate and concurrent resumes', async () => {
    const before = mcp.payouts.length;
    const tools = await mcpTools(agent, options);
    const payout = tools.find((tool) => tool.name === 'create_payout') as McpGuardedTool;
    expect(payout.irreversible).toBe(true);
    const args = { accountId: 'acc_operating', recipient: 'Globex', amount: 40, currency: 'EUR' };
    const callId = `call-${++sequence}`;
    const first = await payout.invoke(args, { callId });
    expect(first.status).toBe('approval_pending');
    if (first.status !== 'approval_pending') return;
    // A duplicate of the same model call does not ask twice.
    const duplicate = await payout.invoke(args, { callId });
    expect(duplicate).toMatchObject({ status: 'approval_pending', approvalId: first.approvalId });
    expect(mcp.payouts.length).toBe(before);

    await approveInDevkit();
    const resumed = await Promise.all([1, 2, 3].map(() => payout.resume(first.approvalId, args, { callId, wait: true })));
    // Concurrent resumes: one runs, the others wait for it or see it in progress; none runs again.
    expect(resumed.some((outcome) => outcome.status === 'done')).toBe(true);
    expect(mcp.payouts.length).toBe(before + 1);
    const later = await payout.resume(first.approvalId, args, { callId });
    expect(later.status).toBe('done');
    expect(mcp.payouts.length).toBe(before + 1);
    expect(mcp.payouts.at(-1)).toMatchObject({ recipient: 'Globex', amount: 40 });
  });

  it('turns the refusal of an unannounced irreversible tool into an approval', async () => {
    const tools = await mcpTools(agent, options);
    const close = tools.find((tool) => tool.name === 'close_account') as McpGuardedTool;
    expect(close.irreversible).toBe(false);
    const callId = `call-${++sequence}`;
    const outcome = await close.invoke({ accountId: 'acc_payroll' }, { callId });
    expect(outcome.status).toBe('approval_pending');
    expect(close.irreversible).toBe(true);
    expect(mcp.closedAccounts).toEqual([]);
    if (outcome.status !== 'approval_pending') return;
    await approveInDevkit();
    expect((await close.resume(outcome.approvalId, { accountId: 'acc_payroll' }, { callId, wait: true })).status).toBe('done');
    expect(mcp.closedAccounts).toEqual(['acc_payroll']);
    expect(new McpApprovalRequiredError('close_account', []).code).toBe('ERR_MCP_APPROVAL_REQUIRED');
  });
});
