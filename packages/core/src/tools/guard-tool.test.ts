import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationError, InvalidArgumentsError, NetworkError } from '../errors.js';
import { canonicalSha256 } from '../lib/canonical-json.js';
import { createAuditor } from '../audit/auditor.js';
import type { AuditEvent } from '../audit/types.js';
import { guardTool } from './guard-tool.js';
import { ToolExecutionError } from './errors.js';
import { createTestAgent } from './testing/test-agent.js';
import { errorOf } from './testing/outcomes.js';
import { payout, payoutSchema, payoutTool, TREASURY } from './testing/payout-tool.js';
import type { ToolDefinition } from './types.js';

const readAccounts = (overrides: Partial<ToolDefinition<z.ZodType, unknown>> = {}) => ({
  name: 'list_accounts',
  description: 'Lists accounts',
  schema: z.object({ currency: z.string().optional() }),
  risk: 'read' as const,
  resource: TREASURY,
  scope: 'accounts:read',
  execute: async (_args: unknown, context: { fetch: (url: string) => Promise<Response> }) => (await context.fetch(`${TREASURY}/accounts`)).json(),
  ...overrides,
});

describe('guardTool definitions', () => {
  const { agent } = createTestAgent();
  it.each([
    ['an irreversible tool without approval policy', { risk: 'irreversible' }],
    ['a name with spaces', { name: 'list accounts' }],
    ['a relative resource', { resource: '/accounts' }],
    ['an unknown risk tier', { risk: 'dangerous' }],
    ['no schema', { schema: {} }],
    ['no function', { execute: undefined }],
    ['an approval without describe', { risk: 'irreversible', approval: { approver: 'alice' } }],
    ['an approval without approver', { risk: 'irreversible', approval: { approver: '', describe: (): string => 'x' } }],
    ['an unknown approval mode', { risk: 'irreversible', approval: { approver: 'alice', describe: (): string => 'x', mode: 'triple' } }],
    ['a fractional requested expiry', { risk: 'irreversible', approval: { approver: 'alice', describe: (): string => 'x', requestedExpiry: 0.5 } }],
  ])('refuses %s at once', (_name, overrides) => {
    expect(() => guardTool(agent, readAccounts(overrides as never) as never)).toThrow(ConfigurationError);
  });

  it('exposes name, description, schema and risk', () => {
    const tool = guardTool(agent, readAccounts() as never);
    expect(tool).toMatchObject({ name: 'list_accounts', description: 'Lists accounts', risk: 'read' });
    expect(Object.isFrozen(tool)).toBe(true);
  });
});

describe('read and write tools', () => {
  it('run at once with the routine token for their resource and scope', async () => {
    const { agent, sent, routineTokens, events, context, server } = createTestAgent({ respond: () => Response.json([{ id: 'acc_ops' }]) });
    const tool = guardTool(agent, readAccounts() as never);
    const outcome = await tool.invoke({ currency: 'EUR' }, { callId: 'call-1' });
    expect(outcome).toEqual({ status: 'done', tool: 'list_accounts', result: [{ id: 'acc_ops' }], argsSha256: canonicalSha256({ currency: 'EUR' }) });
    expect(routineTokens[0]).toMatchObject({ resource: TREASURY, scope: 'accounts:read' });
    expect(sent).toEqual([expect.objectContaining({ url: `${TREASURY}/accounts`, method: 'GET' })]);
    expect(sent[0]!.accessToken).toMatch(/^routine-/);
    expect(server.requests).toHaveLength(0);
    await context.audit.flush();
    expect(events.map((event) => event.event)).toEqual(['tool.invoked', 'tool.executed']);
    expect(events[1]).toMatchObject({ tool: 'list_accounts', callId: 'call-1', argsSummary: { currency: 'string(3)' }, outcome: 'ok', resource: TREASURY, scope: 'accounts:read' });
    expect(JSON.stringify(events)).not.toContain('EUR');
  });

  it('give the function a fetch that cannot be pointed at another token', async () => {
    const { agent, sent } = createTestAgent();
    const tool = guardTool(agent, {
      ...readAccounts(),
      risk: 'write',
      execute: async (_args: unknown, context: { fetch: (url: string, init: unknown) => Promise<Response> }) => context.fetch(`${TREASURY}/accounts`, { token: { accessToken: 'stolen' }, scope: 'admin:keys' } as never),
    } as never);
    await tool.invoke({});
    expect(sent[0]!.accessToken).toMatch(/^routine-/);
  });

  it('refuse invalid arguments with paths and messages, never values, and run nothing', async () => {
    const { agent, sent, events, context } = createTestAgent();
    const { tool, executions } = payoutTool(agent);
    const routine = guardTool(agent, { ...readAccounts(), schema: payoutSchema } as never);
    for (const guarded of [tool, routine]) {
      const outcome = await guarded.invoke({ accountId: 'acc_ops', recipient: 'SECRET-RECIPIENT', amount: -5, currency: 'EURO' });
      expect(outcome.status).toBe('failed');
      const error = (errorOf(outcome) as InvalidArgumentsError);
      expect(error).toBeInstanceOf(InvalidArgumentsError);
      expect(error.issues).toEqual([expect.stringMatching(/^amount: /), expect.stringMatching(/^currency: /)]);
      expect(error.message).not.toMatch(/SECRET|EURO|-5/);
    }
    expect(executions).toHaveLength(0);
    expect(sent).toHaveLength(0);
    await context.audit.flush();
    expect(events.map((event) => event.event)).toEqual(['tool.refused', 'tool.refused']);
    expect(events[0]).toMatchObject({ outcome: 'error', error: { code: 'ERR_INVALID_ARGUMENTS' } });
  });

  it('report the function\'s failure as ToolExecutionError with the cause', async () => {
    const { agent, events, context } = createTestAgent();
    const cause = new Error('treasury said no');
    const tool = guardTool(agent, { ...readAccounts(), execute: async () => { throw cause; } } as never);
    const outcome = await tool.invoke({});
    expect(outcome).toMatchObject({ status: 'failed', tool: 'list_accounts' });
    const error = (errorOf(outcome) as ToolExecutionError);
    expect(error).toBeInstanceOf(ToolExecutionError);
    expect(error.cause).toBe(cause);
    await context.audit.flush();
    expect(events.at(-1)).toMatchObject({ event: 'tool.failed', error: { code: 'ERR_TOOL_EXECUTION' } });
  });

  it('report a token failure without running the function', async () => {
    const { agent } = createTestAgent();
    agent.getToken = async () => {
      throw new NetworkError('authorization server unreachable');
    };
    let ran = false;
    const tool = guardTool(agent, { ...readAccounts(), execute: async () => { ran = true; } } as never);
    expect(await tool.invoke({})).toMatchObject({ status: 'failed', error: expect.any(NetworkError) });
    expect(ran).toBe(false);
  });

  it('have nothing to resume', async () => {
    const { agent } = createTestAgent();
    const tool = guardTool(agent, readAccounts() as never);
    expect(await tool.resume('x', {})).toMatchObject({ status: 'failed', error: expect.any(ConfigurationError) });
    expect(() => tool.authorizationDetails({})).toThrow(ConfigurationError);
  });
});

describe('audit payloads', () => {
  it('hands the full arguments only to an audit sink that asked for full payloads', async () => {
    const { agent } = createTestAgent();
    const full: AuditEvent[] = [];
    const plain: AuditEvent[] = [];
    const audit = createAuditor({ agent: 'payout-agent', kid: 'kid-1', jkt: 'jkt-1' }, [
      { fullPayloads: true, write: (event) => void full.push(event) },
      { write: (event) => void plain.push(event) },
    ]);
    const { tool } = payoutTool({ ...agent, audit });
    expect((await tool.invoke(payout, { callId: 'call-full' })).status).toBe('approval_pending');
    await audit.flush();
    expect(full.find((event) => event.event === 'tool.invoked')).toMatchObject({ args: payout, argsSha256: canonicalSha256(payout) });
    expect(plain.find((event) => event.event === 'tool.invoked')).toMatchObject({ argsSha256: canonicalSha256(payout) });
    expect(plain.some((event) => event.args !== undefined)).toBe(false);
    expect(JSON.stringify(plain)).not.toContain(payout.recipient);
  });
});

describe('irreversible tools: invoke', () => {
  it('ask the approver with the arguments hash in the authorization details and return approval_pending', async () => {
    const { agent, server, sent, clock } = createTestAgent({ server: { expiresIn: 300 } });
    const { tool, executions } = payoutTool(agent);
    const outcome = await tool.invoke({ ...payout, extra: 'stripped by the schema' }, { callId: 'call-1' });
    const argsSha256 = canonicalSha256(payout);
    expect(outcome).toEqual({
      status: 'approval_pending',
      tool: 'create_payout',
      approvalId: expect.any(String),
      bindingMessage: 'Pay 250 EUR to ACME GmbH',
      approver: 'alice',
      expiresAt: new Date(clock.now() + 300_000).toISOString(),
      argsSha256,
    });
    const request = server.find();
    expect(request.parameters).toMatchObject({ login_hint: 'alice', binding_message: 'Pay 250 EUR to ACME GmbH', scope: 'openid payouts:write', resource: TREASURY });
    expect(JSON.parse(request.parameters.authorization_details!)).toEqual([
      { type: 'agent_action', tool: 'create_payout', args: { accountId: 'acc_ops', recipient: 'ACME GmbH', amount: 250, currency: 'EUR' }, args_sha256: argsSha256, amount: 250, currency: 'EUR' },
    ]);
    expect(executions).toHaveLength(0);
    expect(sent).toHaveLength(0);
    const stored = await agent.approvalStore.get((outcome as { approvalId: string }).approvalId);
    expect(stored).toMatchObject({ tool: 'create_payout', callId: 'call-1', argsSha256, state: 'pending' });
  });

  it('hash the canonical arguments: member order does not matter', async () => {
    const { agent } = createTestAgent();
    const { tool } = payoutTool(agent);
    const reordered = { currency: 'EUR', amount: 250, recipient: 'ACME GmbH', accountId: 'acc_ops' };
    expect(tool.authorizationDetails(reordered)).toEqual(tool.authorizationDetails(payout));
    expect(tool.authorizationDetails(payout)[0]!.args_sha256).toBe(canonicalSha256(payout));
    expect(() => tool.authorizationDetails({ amount: 'x' })).toThrow(InvalidArgumentsError);
  });

  it('pick the approver from the arguments and ask for dual control', async () => {
    const { agent, server } = createTestAgent();
    const { tool } = payoutTool(agent, { approval: { approver: (args) => (args.amount > 1000 ? 'bob' : 'alice'), mode: 'dual', requestedExpiry: 120 } });
    const outcome = await tool.invoke({ ...payout, amount: 5000 });
    expect(outcome).toMatchObject({ status: 'approval_pending', approver: 'bob' });
    expect(server.find().parameters).toMatchObject({ login_hint: 'bob', requested_expiry: '120' });
    expect(JSON.parse(server.find().parameters.authorization_details!)[0]).toMatchObject({ approval: 'dual', amount: 5000 });
  });

  it.each([
    ['details() that overrides the hash', { details: () => ({ args_sha256: 'forged' }) }],
    ['details() that is not JSON', { details: () => ({ when: () => 1 }) }],
    ['a binding message too long', { describe: (): string => 'x'.repeat(200) }],
    ['a binding message on two lines', { describe: () => 'Pay\nnow' }],
    ['an approver function giving nothing', { approver: () => '' }],
  ])('fail with a configuration error for %s, asking nobody', async (_name, approval) => {
    const { agent, server } = createTestAgent();
    const { tool, executions } = payoutTool(agent, { approval: approval as never });
    const outcome = await tool.invoke(payout);
    expect(outcome).toMatchObject({ status: 'failed', error: expect.any(ConfigurationError) });
    expect(server.requests).toHaveLength(0);
    expect(executions).toHaveLength(0);
    expect(await agent.approvalStore.list()).toHaveLength(0);
  });

  it('ask once per model tool call: invoking the same callId again resumes it', async () => {
    const { agent, server, clock } = createTestAgent({ server: { interval: 1 } });
    const { tool, executions } = payoutTool(agent);
    const [first, concurrent] = await Promise.all([tool.invoke(payout, { callId: 'call-1' }), tool.invoke(payout, { callId: 'call-1' })]);
    expect(server.requests).toHaveLength(1);
    expect(concurrent).toEqual(first);
    const again = await tool.invoke(payout, { callId: 'call-1' });
    expect(again).toMatchObject({ status: 'approval_pending', approvalId: (first as { approvalId: string }).approvalId });
    server.approve(server.find(), 'alice');
    clock.advance(1_000);
    expect(await tool.invoke(payout, { callId: 'call-1' })).toMatchObject({ status: 'done', result: { payoutId: 'p1' } });
    expect(await tool.invoke(payout, { callId: 'call-1' })).toMatchObject({ status: 'done', result: { payoutId: 'p1' } });
    expect(executions).toHaveLength(1);
    expect(server.requests).toHaveLength(1);
    // Another call id is another action: a new approval.
    expect(await tool.invoke(payout, { callId: 'call-2' })).toMatchObject({ status: 'approval_pending' });
    expect(server.requests).toHaveLength(2);
  });

  it('refuse a re-run of the same callId with other arguments', async () => {
    const { agent, server } = createTestAgent();
    const { tool } = payoutTool(agent);
    await tool.invoke(payout, { callId: 'call-1' });
    const outcome = await tool.invoke({ ...payout, amount: 9999 }, { callId: 'call-1' });
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'ERR_ARGUMENTS_CHANGED' } });
    expect(server.requests).toHaveLength(1);
  });

  it('record the evidence without a token, an auth_req_id or an argument value', async () => {
    const { agent, server, clock, events, context } = createTestAgent({ server: { interval: 1 } });
    const { tool } = payoutTool(agent);
    const pending = await tool.invoke(payout, { callId: 'call-1' });
    server.approve(server.find(), 'alice');
    clock.advance(1_000);
    await tool.resume((pending as { approvalId: string }).approvalId, payout, { callId: 'call-1' });
    await context.audit.flush();
    expect(events.map((event) => event.event)).toEqual(['approval.requested', 'tool.invoked', 'approval.approved', 'tool.executed']);
    expect(events[1]).toMatchObject({
      tool: 'create_payout',
      callId: 'call-1',
      argsSha256: canonicalSha256(payout),
      argsSummary: { accountId: 'string(7)', recipient: 'string(9)', amount: 'number', currency: 'string(3)' },
      outcome: 'pending',
    });
    expect(events[3]).toMatchObject({ approvers: [{ subject: 'alice' }], outcome: 'ok', approvalId: (pending as { approvalId: string }).approvalId });
    const evidence = JSON.stringify(events);
    for (const secret of [server.find().authReqId, server.find().issuedToken!, 'ACME', 'acc_ops']) expect(evidence).not.toContain(secret);
  });
});
