import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DevApprovals } from './approvals/types.js';
import { createAuthorizationServer, type AuthorizationServer } from './authorization-server/create-authorization-server.js';
import { generateSigningKey } from './authorization-server/signing-key.js';
import { DevkitError } from './errors.js';
import { createInboxHandler, type InboxHandler } from './inbox/index.js';
import { startToolApi, type ToolApi } from './tool-api/index.js';
import type { DevStack, DevStackOptions } from './types.js';

/** Scopes of the demo treasury API. */
export const TREASURY_SCOPES: readonly string[] = Object.freeze(['accounts:read', 'payouts:write', 'admin:keys']);

const HOST = '127.0.0.1';
const MAX_ACCESS_TOKEN_TTL = 300;
const MAX_ACTION_TOKEN_TTL = 120;

/**
 * Starts the dev stack in this process: the authorization server (oidc-provider, with the
 * approval inbox at `/inbox`) on 127.0.0.1:`port` and the demo treasury API on
 * 127.0.0.1:`toolApiPort`. Ports default to 4000 and 4001; 0 picks free ones (tests).
 *
 * @example
 * ```ts
 * const stack = await startDevStack({ port: 0, toolApiPort: 0 });
 * stack.registerAgent({ clientId: 'payout-agent', jwks: await agent.publicJwks(), scopes: ['accounts:read', 'payouts:write'] });
 * // ... the agent asks for approval; a human approves:
 * await stack.approvals.approve(stack.approvals.list()[0].id, 'alice');
 * await stack.close();
 * ```
 * @throws {DevkitError} `invalid_request` for bad options, `port_in_use` when a port is taken.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html
 */
export async function startDevStack(options: DevStackOptions = {}): Promise<DevStack> {
  const settings = checkOptions(options);
  let authorizationServer: AuthorizationServer | undefined;
  let inbox: InboxHandler | undefined;

  const server = createServer((request, response) => {
    if (authorizationServer === undefined) {
      response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
      response.end(JSON.stringify({ error: 'temporarily_unavailable', error_description: 'starting' }));
      return;
    }
    if (inbox?.(request, response) === true) return;
    authorizationServer.handle(request, response);
  });
  await listen(server, settings.port);
  const issuer = `http://${HOST}:${(server.address() as AddressInfo).port}`;

  let toolApi: ToolApi | undefined;
  try {
    const signingKey = await generateSigningKey();
    toolApi = await startToolApi({
      port: settings.toolApiPort,
      issuer,
      jwks: signingKey.publicJwks,
      isRevoked: (jti) => authorizationServer?.ledger.isRevoked(jti) ?? false,
      dualControlThreshold: settings.dualControlThreshold,
    }).catch((error: unknown) => {
      throw portError(error, settings.toolApiPort, 'tool API');
    });
    authorizationServer = await createAuthorizationServer({
      issuer,
      resource: { url: toolApi.url, scopes: TREASURY_SCOPES },
      moreResources: settings.resources,
      lifetimes: { accessToken: settings.accessTokenTtl, actionToken: settings.actionTokenTtl, approval: settings.approvalTtl },
      dualControlThreshold: settings.dualControlThreshold,
      pollInterval: settings.pollInterval,
      signingKey,
    });
    for (const agent of options.agents ?? []) authorizationServer.registerAgent(agent);
    const registering = authorizationServer;
    // Another process may register an agent, never silently replace the keys of one registered now
    // (`rotate` guards against accidents only: the dev inbox has no login) nor bring back one the
    // kill switch turned off (`agent_disabled`): only this process's stack.registerAgent may.
    inbox = createInboxHandler(approvalsOf(authorizationServer), {
      registerAgent: (registration) => registering.registerAgent(registration, { rotate: (registration as { rotate?: unknown }).rotate === true }),
    });
  } catch (error) {
    inbox?.close();
    authorizationServer?.close();
    await Promise.allSettled([closeServer(server), toolApi?.close()]);
    throw error;
  }

  const running = authorizationServer;
  const runningToolApi = toolApi;
  const runningInbox = inbox;
  let closing: Promise<void> | undefined;
  return {
    issuer,
    toolApiUrl: runningToolApi.url,
    inboxUrl: `${issuer}/inbox`,
    registerAgent: (registration) => running.registerAgent(registration),
    registerWorkloadAgent: (registration) => running.registerWorkloadAgent(registration),
    workloadIssuer: running.workloadIssuer,
    disableAgent: (clientId) => running.disableAgent(clientId),
    approvals: approvalsOf(running),
    close() {
      closing ??= (async () => {
        runningInbox.close();
        running.close();
        const results = await Promise.allSettled([closeServer(server), runningToolApi.close()]);
        const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
        if (failure !== undefined) throw failure.reason;
      })();
      return closing;
    },
  };
}

/** The {@link DevApprovals} face of the registry, without its internal methods. */
function approvalsOf(server: AuthorizationServer): DevApprovals {
  const { approvals } = server;
  return {
    list: () => approvals.list(),
    get: (id) => approvals.get(id),
    approvers: () => approvals.approvers(),
    approve: (id, approver) => approvals.approve(id, approver),
    deny: (id, approver, reason) => approvals.deny(id, approver, reason),
    subscribe: (listener) => approvals.subscribe(listener),
  };
}

interface StackSettings {
  port: number;
  toolApiPort: number;
  accessTokenTtl: number;
  actionTokenTtl: number;
  approvalTtl: number;
  dualControlThreshold: number;
  pollInterval: number;
  resources: Array<{ url: string; scopes: readonly string[] }>;
}

function checkOptions(options: DevStackOptions): StackSettings {
  const port = (name: string, value: number | undefined, fallback: number) => {
    const chosen = value ?? fallback;
    if (!Number.isInteger(chosen) || chosen < 0 || chosen > 65_535) throw new DevkitError('invalid_request', `${name} must be an integer from 0 to 65535`);
    return chosen;
  };
  const seconds = (name: string, value: number | undefined, fallback: number, max: number) => {
    const chosen = value ?? fallback;
    if (!Number.isInteger(chosen) || chosen < 1 || chosen > max) throw new DevkitError('invalid_request', `${name} must be an integer number of seconds from 1 to ${max}`);
    return chosen;
  };
  const threshold = options.dualControlThreshold ?? 1000;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0) {
    throw new DevkitError('invalid_request', 'dualControlThreshold must be a non-negative number');
  }
  if (options.agents !== undefined && !Array.isArray(options.agents)) throw new DevkitError('invalid_request', 'agents must be an array');
  const resources = options.resources ?? [];
  for (const resource of Array.isArray(resources) ? resources : [undefined]) {
    const url = typeof resource?.url === 'string' ? URL.parse(resource.url) : null;
    if (url === null || url.search !== '' || url.hash !== '' || !Array.isArray(resource?.scopes) || !resource.scopes.every((scope) => typeof scope === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))) {
      throw new DevkitError('invalid_request', 'resources must be a list of { url (absolute, no query or fragment), scopes (scope tokens) }');
    }
  }
  return {
    port: port('port', options.port, 4000),
    toolApiPort: port('toolApiPort', options.toolApiPort, 4001),
    accessTokenTtl: seconds('accessTokenTtl', options.accessTokenTtl, MAX_ACCESS_TOKEN_TTL, MAX_ACCESS_TOKEN_TTL),
    actionTokenTtl: seconds('actionTokenTtl', options.actionTokenTtl, MAX_ACTION_TOKEN_TTL, MAX_ACTION_TOKEN_TTL),
    approvalTtl: seconds('approvalTtl', options.approvalTtl, 300, 3600),
    dualControlThreshold: threshold,
    pollInterval: seconds('pollInterval', options.pollInterval, 1, 60),
    resources,
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(portError(error, port, 'authorization server'));
    server.once('error', onError);
    server.listen(port, HOST, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function portError(error: unknown, port: number, what: string): unknown {
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE') {
    return new DevkitError('port_in_use', `${what}: ${HOST}:${port} is in use; stop the other process or choose another port`, { cause: error });
  }
  return error;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
