import { errors, type KoaContext } from 'oidc-provider';
import { findApprover } from '../approvals/approver-directory.js';
import type { ApprovalRegistry } from '../approvals/approval-registry.js';
import { AGENT_ACTION_TYPE } from './agent-action-details.js';
import { CIBA_GRANT_TYPE, type AgentClients } from './agent-clients.js';
import type { AccessTokenLedger } from './access-token-ledger.js';
import { createCibaHooks, requestedAction } from './ciba-hooks.js';
import type { MemoryStorage } from './memory-adapter.js';

/** A resource server the authorization server issues JWT access tokens for (RFC 8707). */
export interface ResourceServerDefinition {
  /** Resource indicator, also the token's `aud`, e.g. `http://127.0.0.1:4001`. */
  url: string;
  /** Scopes it serves. */
  scopes: readonly string[];
}

/** Token and request lifetimes, in seconds. */
export interface Lifetimes {
  /** Routine (client_credentials) access tokens. */
  accessToken: number;
  /** Approved (CIBA) action tokens. */
  actionToken: number;
  /** CIBA requests (an agent's `requested_expiry` may only shorten it). */
  approval: number;
}

/** Inputs of {@link providerConfiguration}. */
export interface ProviderConfigurationOptions {
  /** The private signing JWK (ES256) of the authorization server. */
  signingKey: Record<string, unknown>;
  cookieKeys: string[];
  /** Secret of the stateless DPoP nonces (32 bytes). */
  dpopNonceSecret: Buffer;
  resource: ResourceServerDefinition;
  /** Further resource servers it issues tokens for (APIs protected with `@countersign/server`). */
  moreResources?: readonly ResourceServerDefinition[] | undefined;
  lifetimes: Lifetimes;
  storage: MemoryStorage;
  agents: AgentClients;
  approvals: ApprovalRegistry;
  ledger: AccessTokenLedger;
  dualControlThreshold: number;
  /** Approvers of each CIBA grant, by grant id, read once when its action token is minted. */
  grantApprovers: Map<string, Array<{ sub: string; approved_at: number }>>;
}

/** Endpoint paths of the devkit's authorization server. */
export const ROUTES = Object.freeze({
  backchannel_authentication: '/backchannel',
  introspection: '/token/introspection',
  jwks: '/jwks',
  revocation: '/token/revocation',
  token: '/token',
});

/** JWS algorithms accepted for client assertions and DPoP proofs. */
export const ACCEPTED_ALGORITHMS = ['ES256', 'EdDSA', 'Ed25519'];

/** `aud` form of a resource indicator: the URL without a trailing slash on an empty path. */
export function canonicalResource(indicator: string): string | undefined {
  const parsed = URL.parse(indicator);
  if (parsed === null || parsed.hash !== '' || parsed.search !== '') return undefined;
  return parsed.pathname === '/' ? parsed.origin : `${parsed.origin}${parsed.pathname}`;
}

/**
 * The oidc-provider 9.x configuration of the devkit: private_key_jwt only (ES256/EdDSA), DPoP with
 * nonces required for every token, client_credentials and CIBA (poll), RFC 9396
 * `agent_action` details granted only through CIBA, RFC 8707 resource indicators issuing JWT access
 * tokens bound with `cnf.jkt`, revocation and introspection.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449 (DPoP)
 * @see https://www.rfc-editor.org/rfc/rfc8707 (resource indicators)
 * @see https://www.rfc-editor.org/rfc/rfc9068 (JWT access tokens)
 * @see https://www.rfc-editor.org/rfc/rfc9396 (authorization_details)
 */
export function providerConfiguration(options: ProviderConfigurationOptions): Record<string, unknown> {
  const { lifetimes, resource } = options;
  const audience = canonicalResource(resource.url)!;
  // Scopes served, by audience: the demo tool API first, then any other API the stack serves.
  const scopesByAudience = new Map<string, ReadonlySet<string>>(
    [resource, ...(options.moreResources ?? [])].map((definition) => [canonicalResource(definition.url)!, new Set(definition.scopes)]),
  );
  const adapters = new Map<string, ReturnType<MemoryStorage['adapterFor']>>();

  return {
    adapter: (model: string) => {
      let adapter = adapters.get(model);
      if (adapter === undefined) adapters.set(model, (adapter = options.storage.adapterFor(model)));
      return adapter;
    },
    jwks: { keys: [options.signingKey] },
    cookies: { keys: options.cookieKeys },
    routes: { ...ROUTES },
    // `none` only for workload agents, whose one grant (JWT bearer) carries its own credential.
    clientAuthMethods: ['private_key_jwt', 'none'],
    enabledJWA: {
      clientAuthSigningAlgValues: ACCEPTED_ALGORITHMS,
      dPoPSigningAlgValues: ACCEPTED_ALGORITHMS,
      idTokenSigningAlgValues: ['ES256'],
    },
    clientDefaults: {
      grant_types: ['client_credentials'],
      id_token_signed_response_alg: 'ES256',
      response_types: [],
      token_endpoint_auth_method: 'private_key_jwt',
    },
    responseTypes: ['none'],
    scopes: ['openid'],
    claims: { openid: ['sub'] },
    findAccount: async (_ctx: KoaContext, sub: string) => {
      const approver = findApprover(sub);
      return approver === undefined ? undefined : { accountId: approver.id, claims: async () => ({ sub: approver.id }) };
    },
    ttl: {
      AccessToken: lifetimes.actionToken,
      ClientCredentials: lifetimes.accessToken,
      BackchannelAuthenticationRequest: (ctx: KoaContext | undefined) => {
        const requested = Number(ctx?.oidc?.params.requested_expiry);
        return Number.isSafeInteger(requested) && requested > 0 ? Math.min(lifetimes.approval, requested) : lifetimes.approval;
      },
      Grant: lifetimes.approval + lifetimes.actionToken,
      IdToken: lifetimes.actionToken,
      AuthorizationCode: 60,
      DeviceCode: 60,
      Interaction: 60,
      PreAuthorizedCode: 60,
      RefreshToken: 60,
      Session: 60,
    },
    revokeGrantPolicy: () => false,
    features: {
      devInteractions: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async (ctx: KoaContext, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId },
      revocation: { enabled: true, allowedPolicy: async (_ctx: KoaContext, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId },
      dPoP: { enabled: true, nonceSecret: options.dpopNonceSecret, requireNonce: () => true, allowReplay: false },
      ciba: { enabled: true, ...createCibaHooks(options) },
      richAuthorizationRequests: {
        enabled: true,
        types: {
          [AGENT_ACTION_TYPE]: {
            async validate(ctx: KoaContext) {
              if (ctx.oidc.route !== 'backchannel_authentication') {
                throw new errors.InvalidAuthorizationDetails('agent_action authorization details are granted only by a human, through a CIBA request');
              }
              requestedAction(ctx);
            },
          },
        },
        async authorizationDetailsForGrantSource() {
          throw new errors.InvalidAuthorizationDetails('authorization_details are granted only through CIBA');
        },
        async authorizationDetailsForAccessToken(_ctx: KoaContext, _token: unknown, source: { rar?: unknown } | undefined, grantType: string) {
          // Exactly what the human approved, never what the token request adds.
          if (grantType === CIBA_GRANT_TYPE && Array.isArray(source?.rar)) return source.rar;
          throw new errors.InvalidAuthorizationDetails('authorization_details are granted only through CIBA');
        },
        async authorizationDetailsForIntrospection(_ctx: KoaContext, token: { rar?: unknown }) {
          return token.rar;
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx: KoaContext, _client: unknown, oneOf?: string[]) => oneOf ?? audience,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx: KoaContext, indicator: string, client: { clientId: string }) => {
          const target = canonicalResource(indicator);
          const resourceScopes = target === undefined ? undefined : scopesByAudience.get(target);
          if (resourceScopes === undefined) {
            throw new errors.InvalidTarget(`this authorization server issues tokens for ${[...scopesByAudience.keys()].join(', ')} only`);
          }
          const granted = [...(options.agents.scopesOf(client.clientId) ?? [])].filter((scope) => resourceScopes.has(scope));
          refuseUngrantedScopes(ctx, new Set(granted));
          const isAction = ctx.oidc.route === 'backchannel_authentication' || ctx.oidc.params.grant_type === CIBA_GRANT_TYPE;
          return {
            scope: granted.join(' '),
            audience: target,
            accessTokenFormat: 'jwt',
            accessTokenTTL: isAction ? lifetimes.actionToken : lifetimes.accessToken,
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    formats: {
      customizers: {
        jwt: async (_ctx: KoaContext, token: { kind: string; grantId?: string }, jwt: { payload: Record<string, unknown> }) => {
          const { payload } = jwt;
          if (token.kind === 'AccessToken' && token.grantId !== undefined) {
            const approvers = options.grantApprovers.get(token.grantId);
            if (approvers !== undefined) {
              payload.approvers = approvers;
              options.grantApprovers.delete(token.grantId); // one action token per approval
            }
          }
          options.ledger.record({ jti: String(payload.jti), clientId: String(payload.client_id), exp: Number(payload.exp) });
        },
      },
    },
  };
}

/** A token or CIBA request naming a scope the agent was not registered for gets `invalid_scope`, never a silently narrower token. */
function refuseUngrantedScopes(ctx: KoaContext, granted: ReadonlySet<string>): void {
  const route = ctx.oidc.route;
  const requested = ctx.oidc.params.scope;
  if ((route !== 'token' && route !== 'backchannel_authentication') || typeof requested !== 'string') return;
  for (const scope of requested.split(' ')) {
    if (scope !== '' && scope !== 'openid' && !granted.has(scope)) {
      throw new errors.InvalidScope('requested scope is not granted to this agent for this resource', scope);
    }
  }
}
