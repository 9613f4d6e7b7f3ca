/**
 * A treasury MCP server (the SDK's McpServer over Streamable HTTP, stateless) protected by
 * @countersign/server through @countersign/mcp: every request needs a DPoP-bound token;
 * `create_payout` and `close_account` are irreversible and run only with an action token approving
 * exactly that call, spent once. `create_payout` announces its tier in `tools/list`;
 * `close_account` does not, so a client learns it from the refusal.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { createResourceServer, type ReplayStore, type ResourceServer } from '@countersign/server';
import { MCP_RISK_META_KEY, protectMcpEndpoint, serveResourceMetadata, type McpToolPolicy } from '@countersign/mcp';

/** A payout the server executed. */
export interface ExecutedPayout {
  payoutId: string;
  accountId: string;
  recipient: string;
  amount: number;
  currency: string;
  approvers: string[];
}

/** A running treasury MCP server. */
export interface TreasuryMcpServer {
  /** The MCP endpoint, e.g. `http://127.0.0.1:4100/mcp`. */
  url: string;
  /** Payouts executed, in order. */
  payouts: ExecutedPayout[];
  /** Accounts closed, in order. */
  closedAccounts: string[];
  /** Request headers of the accepted requests, in order (tests replay them). */
  acceptedHeaders: IncomingHttpHeaders[];
  /**
   * Starts enforcing for the authorization server `issuer` (discovered now); until then every
   * request is answered 503. Lets the server's URL be registered with the AS before the AS runs.
   */
  trust(issuer: string): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link startTreasuryMcpServer}. */
export interface TreasuryMcpServerOptions {
  /** The resource identifier its tokens are issued for (default: its own endpoint URL). */
  resource?: string;
  /** Port on 127.0.0.1 (default 0: a free one). */
  port?: number;
  replay?: ReplayStore;
}

export const TREASURY_TOOL_POLICIES: Readonly<Record<string, McpToolPolicy>> = {
  list_accounts: { risk: 'read', scope: 'accounts:read' },
  create_payout: { risk: 'irreversible' },
  close_account: { risk: 'irreversible' },
};

/** Starts the server on 127.0.0.1. */
export async function startTreasuryMcpServer(options: TreasuryMcpServerOptions): Promise<TreasuryMcpServer> {
  const payouts: ExecutedPayout[] = [];
  const closedAccounts: string[] = [];
  const acceptedHeaders: IncomingHttpHeaders[] = [];
  const balances = new Map([
    ['acc_operating', 250_000],
    ['acc_payroll', 80_000],
  ]);

  function buildServer(): McpServer {
    const server = new McpServer({ name: 'treasury', version: '1.0.0' });
    server.registerTool('list_accounts', { description: 'Lists our accounts and balances (EUR)', inputSchema: {}, annotations: { readOnlyHint: true } }, async () => ({
      content: [{ type: 'text', text: JSON.stringify(Object.fromEntries(balances)) }],
    }));
    server.registerTool(
      'create_payout',
      {
        description: 'Sends money from one of our accounts. Irreversible: needs a human approval of this exact call.',
        inputSchema: { accountId: z.string(), recipient: z.string(), amount: z.number().positive(), currency: z.string().length(3) },
        _meta: { [MCP_RISK_META_KEY]: 'irreversible' },
      },
      async (args) => {
        const balance = balances.get(args.accountId);
        if (balance === undefined) return { isError: true, content: [{ type: 'text', text: `no account ${args.accountId}` }] };
        balances.set(args.accountId, balance - args.amount);
        const payout = { payoutId: `po_${payouts.length + 1}`, ...args, approvers: [] as string[] };
        payouts.push(payout);
        return { content: [{ type: 'text', text: JSON.stringify({ payoutId: payout.payoutId, balance: balance - args.amount }) }] };
      },
    );
    server.registerTool(
      'close_account',
      { description: 'Closes one of our accounts', inputSchema: { accountId: z.string() } },
      async (args) => {
        closedAccounts.push(args.accountId);
        return { content: [{ type: 'text', text: `closed ${args.accountId}` }] };
      },
    );
    return server;
  }

  const endpoint = (resourceServer: ResourceServer, url: string) =>
    protectMcpEndpoint({ resourceServer, url, tools: TREASURY_TOOL_POLICIES }, async (request, response, body) => {
      acceptedHeaders.push({ ...request.headers });
      const server = buildServer();
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      response.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(request, response, body);
    });

  let protectedEndpoint: ReturnType<typeof endpoint> | undefined;
  let metadata: ReturnType<typeof serveResourceMetadata> | undefined;
  const http = createServer((request, response) => {
    if (metadata?.(request, response)) return;
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/mcp') {
      response.writeHead(404).end();
      return;
    }
    if (!protectedEndpoint) {
      response.writeHead(503, { 'retry-after': '1' }).end();
      return;
    }
    protectedEndpoint(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'server_error' }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  return {
    async trust(issuer) {
      const resourceServer = await createResourceServer({
        issuer,
        resource: options.resource ?? url,
        scopes: ['accounts:read', 'payouts:write'],
        ...(options.replay ? { replay: options.replay } : {}),
      });
      metadata = serveResourceMetadata(resourceServer, url);
      protectedEndpoint = endpoint(resourceServer, url);
    },
    url,
    payouts,
    closedAccounts,
    acceptedHeaders,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
