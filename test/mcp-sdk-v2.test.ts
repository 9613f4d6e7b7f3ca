/**
 * MCP TypeScript SDK 2.x (issue 16): the 2.x line ships as split packages
 * (`@modelcontextprotocol/client`, `/server`, `/node`; `@modelcontextprotocol/sdk` itself stops at
 * 1.32), installed here beside the 1.x SDK that @countersign/mcp depends on. Both directions, on
 * the devkit's real authorization server:
 * - a 2.x Client, its Streamable HTTP transport given @countersign/mcp's agent fetch (RFC 9728
 *   discovery, DPoP-bound tokens, as a keyed agent and as a workload with the JWT bearer grant),
 *   calls a server protected with protectMcpEndpoint: routine tools run, a risky one is refused
 *   naming the authorization_details, and runs once with an action token approving that call;
 * - a 2.x McpServer (NodeStreamableHTTPServerTransport) behind protectMcpEndpoint, used through
 *   mcpTools: the risky tool pauses for approval and runs once after it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { McpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAgent, generateKey, type AccessToken, type Agent } from '@countersign/core';
import { publicJwks } from '@countersign/core/keys';
import { TREASURY_SCOPES, startDevStack, type DevStack } from '@countersign/devkit';
import { createResourceServer } from '@countersign/server';
import {
  MCP_APPROVAL_REQUIRED_CODE,
  MCP_RISK_META_KEY,
  createMcpAgentFetch,
  mcpTools,
  protectMcpEndpoint,
  serveResourceMetadata,
  type FetchLike,
  type McpToolsOptions,
} from '@countersign/mcp';
import { startTreasuryMcpServer, type TreasuryMcpServer } from '../examples/mcp-payout/treasury-mcp-server.js';

let stack: DevStack;
let treasury: TreasuryMcpServer;
let ledger: V2LedgerServer;
let agent: Agent;

beforeAll(async () => {
  treasury = await startTreasuryMcpServer({});
  ledger = await startV2LedgerServer();
  stack = await startDevStack({
    port: 0,
    toolApiPort: 0,
    pollInterval: 1,
    resources: [
      { url: treasury.url, scopes: TREASURY_SCOPES },
      { url: ledger.url, scopes: TREASURY_SCOPES },
    ],
  });
  await treasury.trust(stack.issuer);
  await ledger.trust(stack.issuer);
  agent = await createAgent({ issuer: stack.issuer, clientId: 'mcp-v2-agent', key: await generateKey() });
  stack.registerAgent({ clientId: 'mcp-v2-agent', jwks: await agent.publicJwks(), scopes: [...TREASURY_SCOPES] });
});
afterAll(async () => {
  await agent?.close();
  await treasury?.close();
  await ledger?.close();
  await stack?.close();
});

/** A 2.x Client connected over Streamable HTTP through `fetch`. */
async function connectV2(url: string, fetch: FetchLike): Promise<Client> {
  const client = new Client({ name: 'countersign-v2-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: fetch as never }));
  return client;
}

/** A fetch that sends every request with `token` (a fresh DPoP proof each). */
const withToken =
  (token: AccessToken): FetchLike =>
  async (url, init) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
    return agent.fetch(url, { method: init?.method, headers, body: init?.body as string | undefined, token });
  };

const textOf = (result: unknown) => (result as { content: Array<{ text: string }> }).content[0]!.text;

describe('a 2.x MCP Client calling a server protected with protectMcpEndpoint', () => {
  it('authenticates as the agent (private_key_jwt, DPoP), runs routine tools, and gets the approval refusal for a risky one', async () => {
    const key = await generateKey();
    stack.registerAgent({ clientId: 'mcp-v2-client', jwks: await publicJwks(key), scopes: [...TREASURY_SCOPES] });
    const client = await connectV2(treasury.url, createMcpAgentFetch({ identity: { clientId: 'mcp-v2-client', key }, issuer: stack.issuer, scope: 'accounts:read' }));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['close_account', 'create_payout', 'list_accounts']);
      expect(tools.find((tool) => tool.name === 'create_payout')?._meta?.[MCP_RISK_META_KEY]).toBe('irreversible');
      expect(textOf(await client.callTool({ name: 'list_accounts', arguments: {} }))).toContain('acc_operating');
      expect(String(treasury.acceptedHeaders.at(-1)?.authorization)).toMatch(/^DPoP /);

      const paid = treasury.payouts.length;
      const refusal = await client
        .callTool({ name: 'create_payout', arguments: { accountId: 'acc_operating', recipient: 'V2 Refused Ltd', amount: 10, currency: 'EUR' } })
        .catch((error: unknown) => error);
      expect(refusal).toMatchObject({ code: MCP_APPROVAL_REQUIRED_CODE });
      expect((refusal as { data: { authorization_details: unknown[] } }).data.authorization_details[0]).toMatchObject({
        type: 'agent_action',
        tool: 'create_payout',
        args: { recipient: 'V2 Refused Ltd', amount: 10 },
      });
      expect(treasury.payouts.length).toBe(paid);
    } finally {
      await client.close();
    }
  });

  it('authenticates as a workload (JWT bearer grant at the devkit) with the same agent fetch', async () => {
    const subject = 'spiffe://devkit.test/ns/payments/sa/mcp-v2';
    stack.registerWorkloadAgent({ clientId: 'mcp-v2-workload', subject, scopes: ['accounts:read'] });
    let reads = 0;
    const client = await connectV2(
      treasury.url,
      createMcpAgentFetch({
        identity: {
          clientId: 'mcp-v2-workload',
          workloadToken: async () => {
            reads += 1;
            return stack.workloadIssuer.issueToken({ subject });
          },
        },
        issuer: stack.issuer,
        scope: 'accounts:read',
      }),
    );
    try {
      expect(textOf(await client.callTool({ name: 'list_accounts', arguments: {} }))).toContain('acc_operating');
      expect(reads).toBeGreaterThanOrEqual(1);
    } finally {
      await client.close();
    }
  });

  it('runs the risky tool once with an action token approving exactly that call', async () => {
    const args = { accountId: 'acc_operating', recipient: 'V2 Approved Ltd', amount: 33, currency: 'EUR' };
    const [payoutTool] = (await mcpTools(agent, toolOptions(treasury.url))).filter((tool) => tool.name === 'create_payout');
    const pending = await agent.requestApproval({
      loginHint: 'alice',
      bindingMessage: 'Pay 33 EUR to V2 Approved Ltd',
      authorizationDetails: payoutTool!.authorizationDetails(args),
      resource: treasury.url,
    });
    await stack.approvals.approve(stack.approvals.list().find((view) => view.status === 'pending')!.id, 'alice');
    const token = await pending.wait();

    const client = await connectV2(treasury.url, withToken(token));
    try {
      const other = await client.callTool({ name: 'create_payout', arguments: { ...args, amount: 3300 } }).catch((error: unknown) => error);
      expect(other).toMatchObject({ code: MCP_APPROVAL_REQUIRED_CODE });
      expect(textOf(await client.callTool({ name: 'create_payout', arguments: args }))).toContain('payoutId');
      const again = await client.callTool({ name: 'create_payout', arguments: args }).catch((error: unknown) => error);
      // Spent: agent.fetch surfaces the resource server's challenge through the 2.x transport.
      expect(again).toMatchObject({ code: 'ERR_RESOURCE_CHALLENGE', error: 'invalid_token', status: 401, errorDescription: expect.stringMatching(/already used/) });
    } finally {
      await client.close().catch(() => undefined);
    }
    expect(treasury.payouts.filter((payout) => payout.recipient === 'V2 Approved Ltd')).toHaveLength(1);
  });
});

describe('a 2.x McpServer behind protectMcpEndpoint, used through mcpTools', () => {
  it('runs the read tool, pauses the irreversible one for approval, and runs it once after approval', async () => {
    const tools = await mcpTools(agent, toolOptions(ledger.url));
    expect(tools.map((tool) => [tool.name, tool.risk])).toEqual([
      ['ledger_balance', 'read'],
      ['ledger_transfer', 'irreversible'],
    ]);
    const balance = await tools[0]!.invoke({});
    expect(balance.status === 'done' && textOf(balance.result)).toBe('1000');

    const transfer = tools[1]!;
    const args = { to: 'acc_v2_savings', amount: 250 };
    const pending = await transfer.invoke(args, { callId: 'v2-transfer' });
    expect(pending).toMatchObject({ status: 'approval_pending', approver: 'alice', bindingMessage: 'Transfer 250 to acc_v2_savings' });
    expect(ledger.transfers).toEqual([]);
    if (pending.status !== 'approval_pending') throw new Error('expected a pause');
    await stack.approvals.approve(stack.approvals.list().find((view) => view.status === 'pending' && view.tool === 'ledger_transfer')!.id, 'alice');
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the devkit's poll interval

    const [first, second] = await Promise.all([
      transfer.resume(pending.approvalId, args, { callId: 'v2-transfer' }),
      transfer.resume(pending.approvalId, args, { callId: 'v2-transfer' }),
    ]);
    expect(first.status).toBe('done');
    expect(second).toEqual(first);
    expect(ledger.transfers).toEqual([{ to: 'acc_v2_savings', amount: 250 }]);
    const after = await tools[0]!.invoke({});
    expect(after.status === 'done' && textOf(after.result)).toBe('750');
  });
});

function toolOptions(url: string): McpToolsOptions {
  return {
    url,
    resource: url,
    scope: 'accounts:read',
    approval: {
      approver: 'alice',
      describe: (args) => (args.to === undefined ? `Pay ${String(args.amount)} ${String(args.currency)} to ${String(args.recipient)}` : `Transfer ${String(args.amount)} to ${String(args.to)}`),
      details: (args) => ({ amount: args.amount }),
    },
  };
}

interface V2LedgerServer {
  url: string;
  transfers: Array<{ to: string; amount: number }>;
  trust(issuer: string): Promise<void>;
  close(): Promise<void>;
}

/** A small ledger MCP server on the 2.x server packages, protected with protectMcpEndpoint. */
async function startV2LedgerServer(): Promise<V2LedgerServer> {
  const transfers: Array<{ to: string; amount: number }> = [];
  let balance = 1000;
  const buildServer = () => {
    const server = new McpServer({ name: 'ledger-v2', version: '1.0.0' });
    server.registerTool('ledger_balance', { description: 'The ledger balance', inputSchema: z.object({}), annotations: { readOnlyHint: true } }, async () => ({
      content: [{ type: 'text', text: String(balance) }],
    }));
    server.registerTool(
      'ledger_transfer',
      {
        description: 'Moves money out of the ledger. Irreversible.',
        inputSchema: z.object({ to: z.string(), amount: z.number().positive() }),
        _meta: { [MCP_RISK_META_KEY]: 'irreversible' },
      },
      async ({ to, amount }) => {
        balance -= amount;
        transfers.push({ to, amount });
        return { content: [{ type: 'text', text: `moved ${amount} to ${to}` }] };
      },
    );
    return server;
  };
  let endpoint: ReturnType<typeof protectMcpEndpoint> | undefined;
  let metadata: ReturnType<typeof serveResourceMetadata> | undefined;
  const http: Server = createServer((request, response) => {
    if (metadata?.(request, response)) return;
    if (!endpoint) {
      response.writeHead(503).end();
      return;
    }
    endpoint(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  return {
    url,
    transfers,
    async trust(issuer) {
      const resourceServer = await createResourceServer({ issuer, resource: url });
      metadata = serveResourceMetadata(resourceServer, url);
      endpoint = protectMcpEndpoint(
        { resourceServer, url, tools: { ledger_balance: { risk: 'read', scope: 'accounts:read' }, ledger_transfer: { risk: 'irreversible' } } },
        async (request, response, body) => {
          const server = buildServer();
          const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
          response.on('close', () => {
            void transport.close();
            void server.close();
          });
          await server.connect(transport);
          await transport.handleRequest(request, response, body);
        },
      );
    },
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}
