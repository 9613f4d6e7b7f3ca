import { CIBA_GRANT_TYPE } from './grant-types.js';
import type { Dispatcher } from 'undici';
import { clientAssertionType, createClientAssertionSigner } from './assertion.js';
import { discover } from './discovery.js';
import type { DpopNonceCache } from '../dpop/nonce-cache.js';
import type { DpopProver } from '../dpop/proof.js';
import { AgentRevokedError, ConfigurationError, OAuthError } from '../errors.js';
import type { KeyStore } from '../keys/key-store.js';
import type { Signer } from '../keys/signer.js';
import { abortable } from '../lib/abortable.js';
import type { BackoffOptions } from '../lib/backoff.js';
import type { SkewClock } from '../lib/clock-skew.js';
import { DpopExchange } from '../dpop-exchange/dpop-exchange.js';
import { exchange, type ExchangeResponse } from '../lib/http-exchange.js';
import { assertSecureEndpoint } from '../lib/secure-endpoint.js';
import {
  processBackchannelAuthenticationResponse,
  processRevocationResponse,
  processTokenResponse,
} from './process-responses.js';
import type { AuthorizationServerClient, AuthorizationServerMetadata, RequestOptions } from './types.js';

/** Options of {@link createAuthorizationServerClient}. */
export interface AuthorizationServerClientOptions {
  /** The issuer identifier, exactly as the metadata states it. */
  issuer: string;
  /** This client's client_id. */
  clientId: string;
  /**
   * The identity key that signs client assertions (private_key_jwt), or a store to follow its
   * rotation. Without one the client only names itself (`client_id`): an agent whose credential is
   * a workload-identity JWT (RFC 7523 §2.1 grant) and nothing else.
   */
  key?: Signer | KeyStore | undefined;
  /** Signs the DPoP proofs sent to the token endpoint. */
  dpop: DpopProver;
  /** Per-origin DPoP nonces, shared with resource requests. */
  nonces: DpopNonceCache;
  /**
   * The clock, and its correction toward this server's: only this server's responses may correct
   * it (a resource server's `Date` must never move the time of assertions sent here).
   */
  clock: SkewClock;
  /** Audience of client assertions: the issuer (default) or the token endpoint URL. */
  assertionAudience?: 'issuer' | 'token_endpoint' | undefined;
  /** undici dispatcher (default: the global one). */
  dispatcher?: Dispatcher | undefined;
  /** Timeout of each attempt in milliseconds (default 10 000). */
  timeoutMs?: number | undefined;
  /** Retries of network errors, 5xx and 429 (default 2). */
  retries?: number | undefined;
  /** Backoff between retries. */
  backoff?: BackoffOptions | undefined;
  /** Already discovered metadata; skips discovery. */
  metadata?: AuthorizationServerMetadata | undefined;
  /** Called once, when the server first answers `invalid_client`. */
  onRevoked?: ((error: AgentRevokedError) => void) | undefined;
}

/** The agent's {@link AuthorizationServerClient}, plus whether its identity was refused. */
export interface AgentAuthorizationServerClient extends AuthorizationServerClient {
  /** True once the server answered `invalid_client`: every later call throws {@link AgentRevokedError}. */
  readonly revoked: boolean;
}

interface CallSpec<T> {
  endpoint: 'token_endpoint' | 'backchannel_authentication_endpoint' | 'revocation_endpoint';
  what: string;
  dpop: boolean;
  idempotent: boolean;
  /** `secrets`: what the request carried, scrubbed from whatever the server echoes in an error. */
  process: (response: ExchangeResponse, secrets: readonly (string | undefined)[]) => T;
}


/**
 * Creates the agent's client for its authorization server. Every attempt (retries included) gets a
 * new private_key_jwt assertion and, at the token endpoint, a new DPoP proof with the origin's
 * latest nonce. The {@link DpopExchange} decides the one recovery from a refusal: a request for a
 * nonce is sent once more with the nonce the server sent; a proof or assertion refused for its time
 * once more with the clock corrected from the `Date` header;
 * `invalid_client` becomes {@link AgentRevokedError} and nothing is sent after it.
 *
 * @example
 * ```ts
 * const client = createAuthorizationServerClient({ issuer, clientId, key, dpop, nonces, clock });
 * const token = await client.tokenRequest('client_credentials', { scope: 'accounts:read', resource });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2 (private_key_jwt)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5 (DPoP at the token endpoint)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-8 (nonces)
 */
export function createAuthorizationServerClient(options: AuthorizationServerClientOptions): AgentAuthorizationServerClient {
  const { issuer, clientId, dpop, nonces, clock } = options;
  const assertions = options.key === undefined ? undefined : createClientAssertionSigner(options.key, clientId);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = options.retries ?? 2;
  let metadata: AuthorizationServerMetadata | undefined = options.metadata;
  let discovering: Promise<AuthorizationServerMetadata> | undefined;
  let revokedBy: OAuthError | undefined;

  const revokedError = (cause: OAuthError) =>
    new AgentRevokedError(
      `the authorization server refused this client: ${cause.error} (client_id ${clientId}${cause.errorDescription ? `; it said: ${cause.errorDescription}` : ''}). ` +
        'Likely causes: the client is not registered, was disabled or deleted, or the key signing its assertions is not one of its registered keys. ' +
        'Nothing more is sent to this server for this agent.',
      { cause, error: cause.error, errorDescription: cause.errorDescription },
    );

  async function getMetadata(requestOptions?: RequestOptions): Promise<AuthorizationServerMetadata> {
    if (metadata) return metadata;
    discovering ??= discover(issuer, { dispatcher: options.dispatcher, timeoutMs, retries, backoff: options.backoff })
      .then((found) => (metadata = found))
      .finally(() => (discovering = undefined));
    return abortable(discovering, requestOptions?.signal);
  }

  async function call<T>(spec: CallSpec<T>, parameters: Record<string, string>, requestOptions?: RequestOptions): Promise<T> {
    if (revokedBy) throw revokedError(revokedBy);
    const found = await getMetadata(requestOptions);
    const endpoint = found[spec.endpoint];
    if (typeof endpoint !== 'string') throw new ConfigurationError(`the authorization server offers no ${spec.endpoint}`);
    const url = assertSecureEndpoint(endpoint, spec.endpoint);
    const audience = options.assertionAudience === 'token_endpoint' ? found.token_endpoint : issuer;
    // No presigned proofs here: every attempt signs its proof and assertion on demand.
    const dpopExchange = new DpopExchange(
      { dpop, nonces },
      { method: 'POST', htu: url, origin: url.origin, clock },
    );
    for (;;) {
      // Every attempt's assertion and proof, and the parameters (a token to revoke, an auth_req_id).
      const sent: (string | undefined)[] = Object.values(parameters);
      const response = await exchange(
        async () => {
          const now = dpopExchange.begin();
          const headers: Record<string, string> = {
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
          };
          if (spec.dpop) headers.dpop = await dpopExchange.proof();
          const form = new URLSearchParams(parameters);
          form.set('client_id', clientId);
          sent.push(headers.dpop);
          if (assertions) {
            const assertion = await assertions.create({ audience, now });
            sent.push(assertion);
            form.set('client_assertion_type', clientAssertionType);
            form.set('client_assertion', assertion);
          }
          return { method: 'POST', url, headers, body: form.toString() };
        },
        {
          what: spec.what,
          dispatcher: options.dispatcher,
          signal: requestOptions?.signal,
          timeoutMs,
          retries,
          backoff: options.backoff,
          idempotent: spec.idempotent,
          onResponse: (response) => dpopExchange.rememberNonce(response.headers['dpop-nonce']),
        },
      );
      try {
        return spec.process(response, sent);
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        if (dpopExchange.readAuthorizationServerError(error, response.headers['dpop-nonce'], response.headers.date) !== undefined) continue;
        if (error.error === 'invalid_client') {
          if (!revokedBy) {
            revokedBy = error;
            options.onRevoked?.(revokedError(error));
          }
          throw revokedError(error);
        }
        throw error;
      }
    }
  }

  return {
    get revoked() {
      return revokedBy !== undefined;
    },
    metadata: getMetadata,
    tokenRequest(grantType, parameters, requestOptions) {
      return call(
        {
          endpoint: 'token_endpoint',
          what: 'token endpoint',
          dpop: true,
          // A CIBA poll is not idempotent: the auth_req_id is spent once the token was issued, so a
          // response lost to a timeout must not be asked for again (the server would refuse the grant).
          idempotent: grantType !== CIBA_GRANT_TYPE,
          process: processTokenResponse,
        },
        { ...parameters, grant_type: grantType },
        requestOptions,
      );
    },
    backchannelAuthentication(parameters, requestOptions) {
      return call(
        {
          endpoint: 'backchannel_authentication_endpoint',
          what: 'backchannel authentication endpoint',
          dpop: false,
          idempotent: false,
          process: processBackchannelAuthenticationResponse,
        },
        parameters,
        requestOptions,
      );
    },
    async revoke(token, requestOptions) {
      const found = await getMetadata(requestOptions);
      if (typeof found.revocation_endpoint !== 'string') return;
      await call(
        { endpoint: 'revocation_endpoint', what: 'revocation endpoint', dpop: false, idempotent: true, process: processRevocationResponse },
        { token, token_type_hint: 'access_token' },
        requestOptions,
      );
    },
  };
}
