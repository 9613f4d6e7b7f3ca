/**
 * The MCP conformance suite's client under test, built on @countersign/mcp:
 *
 *   conformance client --command "pnpm exec tsx test/conformance/mcp-client.ts" --scenario auth/dpop
 *
 * The suite sets MCP_CONFORMANCE_SCENARIO (and MCP_CONFORMANCE_CONTEXT for scenarios with
 * credentials) and passes the MCP server URL as the last argument. The agent's own identities
 * (private_key_jwt client credentials, the jwt-bearer workload grant) go through
 * createMcpAgentFetch; every other auth scenario runs the SDK's user-delegated authorization code
 * flow with its tokens sender-bound by withDpop.
 */
import { createPrivateKey } from 'node:crypto';
import { createNodeSigner } from '@countersign/core';
import { createMcpAgentFetch, withDpop, type FetchLike } from '@countersign/mcp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { auth, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { HeadlessOAuthProvider } from './headless-oauth-provider.js';

type Context = Record<string, string | undefined> & { name?: string };

const serverUrl = process.argv.at(-1);
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const context: Context = process.env.MCP_CONFORMANCE_CONTEXT ? (JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT) as Context) : {};

/**
 * The authorization servers this harness trusts: the suite runs every server on localhost, so its
 * authorization servers are trusted as the suite's own. A real agent configures its issuer.
 */
const trustedIssuers = (issuer: string): boolean => ['localhost', '127.0.0.1', '[::1]'].includes(new URL(issuer).hostname);

/** Connects, lists tools, calls one when the scenario offers it, and closes. */
async function exercise(url: URL, fetchFunction: FetchLike | undefined, tool?: { name: string; arguments: Record<string, unknown> }): Promise<void> {
  const client = new Client({ name: 'countersign-conformance-client', version: '0.1.0' }, { capabilities: {} });
  const transport = new StreamableHTTPClientTransport(url, fetchFunction ? { fetch: fetchFunction } : {});
  await client.connect(transport);
  const { tools } = await client.listTools();
  const wanted = tool ?? (tools.some((offered) => offered.name === 'test-tool') ? { name: 'test-tool', arguments: {} } : undefined);
  if (wanted && tools.some((offered) => offered.name === wanted.name)) await client.callTool(wanted);
  await transport.close();
}

/** The agent as itself: private_key_jwt client credentials (SEP-1046). */
async function clientCredentialsJwt(url: URL): Promise<void> {
  const { client_id: clientId, private_key_pem: pem } = context;
  if (!clientId || !pem) throw new Error('the scenario context lacks client_id or private_key_pem');
  const key = createNodeSigner(createPrivateKey(pem));
  // The suite's authorization server for this scenario issues Bearer tokens only.
  await exercise(url, createMcpAgentFetch({ identity: { clientId, key }, trustedIssuers, allowBearer: true }));
}

/** The agent as a workload: the RFC 7523 jwt-bearer grant with a workload-identity JWT (SEP-1933). */
async function workloadJwtBearer(url: URL): Promise<void> {
  const { client_id: clientId, valid_jwt: workloadToken } = context;
  if (!workloadToken) throw new Error('the scenario context lacks valid_jwt');
  await exercise(url, createMcpAgentFetch({ identity: { clientId, workloadToken }, trustedIssuers, allowBearer: true }));
}

/**
 * A user-delegated session: the SDK's authorization code flow (discovery, registration, PKCE,
 * step-up) with a headless redirect, its token requests and MCP requests sender-bound by withDpop.
 * Each request is authorized at most twice (a 401, then one insufficient_scope step-up).
 */
async function authorizationCode(url: URL): Promise<void> {
  const provider = new HeadlessOAuthProvider(
    'http://localhost:3000/callback',
    {
      client_name: 'countersign-conformance-client',
      redirect_uris: ['http://localhost:3000/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    } as never,
    'https://conformance-test.local/client-metadata.json',
  );
  // Pre-registered credentials, when the scenario hands them out, instead of registering.
  if (context.client_id && context.client_secret) {
    provider.saveClientInformation({ client_id: context.client_id, client_secret: context.client_secret });
  }
  // The suite's non-DPoP scenarios answer with Bearer tokens; DPoP-capable ones get bound.
  const dpopFetch = withDpop({ allowBearer: true });

  const authorizedFetch: FetchLike = async (input, init) => {
    const send = async () => {
      const headers = new Headers(init?.headers);
      const tokens = await provider.tokens();
      if (tokens) headers.set('authorization', `Bearer ${tokens.access_token}`);
      return dpopFetch(input, { ...init, headers });
    };
    let response = await send();
    for (let round = 0; round < 2; round++) {
      const stepUp = response.status === 403 && /insufficient_scope/.test(response.headers.get('www-authenticate') ?? '');
      if (response.status !== 401 && !stepUp) break;
      const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(response);
      await response.body?.cancel();
      const options = { serverUrl: url, resourceMetadataUrl, scope, fetchFn: dpopFetch };
      if ((await auth(provider, options)) === 'REDIRECT') {
        await auth(provider, { ...options, authorizationCode: provider.takeAuthorizationCode() });
      }
      response = await send();
    }
    return response;
  };
  await exercise(url, authorizedFetch);
}

async function main(): Promise<void> {
  if (!serverUrl || !/^https?:\/\//.test(serverUrl)) throw new Error('usage: mcp-client.ts <server-url>');
  const url = new URL(serverUrl);
  switch (scenario) {
    case 'initialize':
      return exercise(url, undefined);
    case 'tools_call':
      return exercise(url, undefined, { name: 'add_numbers', arguments: { a: 5, b: 3 } });
    case 'auth/client-credentials-jwt':
      return clientCredentialsJwt(url);
    case 'auth/wif-jwt-bearer':
      return workloadJwtBearer(url);
    default:
      if (scenario.startsWith('auth/')) return authorizationCode(url);
      return exercise(url, undefined);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`${scenario}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    process.exit(1);
  },
);
