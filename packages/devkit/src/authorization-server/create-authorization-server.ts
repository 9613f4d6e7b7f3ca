import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider, { type KoaContext } from 'oidc-provider';
import type { JSONWebKeySet } from 'jose';
import { createApprovalRegistry, type ApprovalOutcomes, type ApprovalRegistry, type ApproverClaim } from '../approvals/approval-registry.js';
import type { AgentRegistration } from '../types.js';
import { createAccessTokenLedger, type AccessTokenLedger } from './access-token-ledger.js';
import { revokeAgentForGood } from './kill-switch.js';
import { createAgentClients } from './agent-clients.js';
import { cibaOutcomes } from './ciba-outcomes.js';
import { cibaResponseExtensions } from './ciba-response-extensions.js';
import { jwtAccessTokenRevocation } from './jwt-access-token-revocation.js';
import { createMemoryStorage } from './memory-adapter.js';
import { providerConfiguration, type Lifetimes, type ResourceServerDefinition } from './provider-configuration.js';
import { generateSigningKey, type SigningKey } from './signing-key.js';
import { registerJwtBearerGrant } from './jwt-bearer-grant.js';
import { createWorkloadIssuer, type DevWorkloadIssuer } from './workload-issuer.js';
import type { WorkloadAgentRegistration } from '../types.js';

/** Options of {@link createAuthorizationServer}. */
export interface AuthorizationServerOptions {
  /** Issuer identifier, e.g. `http://127.0.0.1:4000`: the origin the server is reachable at. */
  issuer: string;
  /** The resource server tokens are issued for (the demo tool API). */
  resource: ResourceServerDefinition;
  /** Further resource servers it issues tokens for. */
  moreResources?: readonly ResourceServerDefinition[] | undefined;
  lifetimes: Lifetimes;
  /** Payouts above this amount need two approvers. */
  dualControlThreshold: number;
  /** CIBA poll interval announced and enforced, seconds. */
  pollInterval: number;
  /** Signing key (default: a fresh ES256 key). */
  signingKey?: SigningKey | undefined;
  /** Called with unexpected server errors (default: one line on stderr, without request data). */
  onServerError?: ((error: Error) => void) | undefined;
}

/** A configured authorization server, not bound to a socket: the stack serves {@link handle}. */
export interface AuthorizationServer {
  readonly issuer: string;
  /** The public signing keys (what `/jwks` serves), for resource servers. */
  readonly publicJwks: JSONWebKeySet;
  /** The approval registry: the human side of CIBA. */
  readonly approvals: ApprovalRegistry;
  /** Issued JWT access tokens and the revoked ones. */
  readonly ledger: AccessTokenLedger;
  /** Registers an agent (see {@link AgentClients.register} for `guard`, used for registrations over HTTP). */
  registerAgent(registration: AgentRegistration, guard?: { rotate: boolean }): void;
  /** Registers an agent whose tokens come from workload JWTs of {@link workloadIssuer} (JWT bearer grant). */
  registerWorkloadAgent(registration: WorkloadAgentRegistration): void;
  /** The workload-identity issuer this server trusts in the JWT bearer grant. */
  readonly workloadIssuer: DevWorkloadIssuer;
  disableAgent(clientId: string): void;
  /** Node request listener of oidc-provider. */
  handle(request: IncomingMessage, response: ServerResponse): void;
  /** Stops timers. */
  close(): void;
}

/**
 * Builds the devkit's authorization server on oidc-provider 9.x: configuration, private storage,
 * agent clients, approval registry, and the middleware that completes CIBA and JWT revocation.
 */
export async function createAuthorizationServer(options: AuthorizationServerOptions): Promise<AuthorizationServer> {
  const signingKey = options.signingKey ?? (await generateSigningKey());
  const storage = createMemoryStorage();
  const ledger = createAccessTokenLedger();
  const grantApprovers = new Map<string, ApproverClaim[]>();

  // The registry and the provider need each other: decisions reach the provider once it exists.
  const deliver: { to?: ApprovalOutcomes } = {};
  const approvals = createApprovalRegistry({
    outcomes: {
      approved: (record) => deliver.to!.approved(record),
      denied: (record) => deliver.to!.denied(record),
    },
  });
  const agents = createAgentClients({
    storage,
    knownScopes: new Set([options.resource, ...(options.moreResources ?? [])].flatMap((definition) => definition.scopes)),
    validateMetadata: (metadata) => {
      new provider.Client(metadata);
    },
    onDisable: (clientId) => {
      revokeAgentForGood(clientId, { approvals, storage, ledger });
    },
  });

  const provider = new Provider(
    options.issuer,
    providerConfiguration({
      signingKey: signingKey.privateJwk as Record<string, unknown>,
      cookieKeys: [randomBytes(32).toString('base64url')],
      dpopNonceSecret: randomBytes(32),
      resource: options.resource,
      moreResources: options.moreResources,
      lifetimes: options.lifetimes,
      storage,
      agents,
      approvals,
      ledger,
      dualControlThreshold: options.dualControlThreshold,
      grantApprovers,
    }),
  );
  deliver.to = cibaOutcomes(provider, grantApprovers);
  const workloadIssuer = await createWorkloadIssuer(options.issuer);
  registerJwtBearerGrant(provider, { trustedIssuers: [workloadIssuer], workloadOf: (clientId) => agents.workloadOf(clientId) });
  provider.use(cibaResponseExtensions({ approvals, pollInterval: options.pollInterval }));
  provider.use(jwtAccessTokenRevocation({ issuer: options.issuer, publicJwks: signingKey.publicJwks, ledger }));
  const onServerError = options.onServerError ?? ((error: Error) => console.error(`countersign-dev: authorization server error: ${error.message}`));
  provider.on('server_error', (_ctx: unknown, error: Error) => onServerError(error));
  provider.on('grant.error', explainDpopFailure);

  const callback = provider.callback();
  return {
    issuer: options.issuer,
    publicJwks: signingKey.publicJwks,
    approvals,
    ledger,
    registerAgent: (registration, guard) => agents.register(registration, guard),
    registerWorkloadAgent: (registration) => agents.registerWorkload(registration, workloadIssuer.issuer),
    workloadIssuer,
    disableAgent: (clientId) => agents.disable(clientId),
    handle: callback,
    close: () => approvals.close(),
  };
}

/**
 * oidc-provider keeps the reason of an `invalid_grant` to itself (`error_detail`), rightly for
 * codes and grants; a missing, replayed or mismatched DPoP proof reveals nothing, and saying so
 * saves a developer an afternoon.
 */
function explainDpopFailure(ctx: KoaContext, error: { error?: string; error_detail?: unknown }): void {
  const detail = error.error_detail;
  if (error.error === 'invalid_grant' && typeof detail === 'string' && detail.startsWith('DPoP proof') && ctx.body?.error === 'invalid_grant') {
    ctx.body = { ...ctx.body, error_description: detail };
  }
}
