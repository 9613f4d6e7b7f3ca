import { ConfigurationError } from '../errors.js';
import { createCompactJwsSigner, type CompactJwsSigner } from '../jws.js';
import { isKeyStore, type KeyStore } from '../keys/key-store.js';
import type { Signer } from '../keys/signer.js';
import { randomId } from '../lib/random.js';

/**
 * The `client_assertion_type` that goes with every assertion this module makes.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 */
export const clientAssertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The explicit JWT type of client authentication assertions. */
const assertionTyp = 'client-authentication+jwt';

/** Options of {@link createClientAssertionSigner}. */
export interface ClientAssertionOptions {
  /** Seconds from `iat` to `exp`: a positive integer, at most 60 (default 60). */
  lifetimeSeconds?: number | undefined;
  /** Clock in seconds since the epoch (default: `Date.now() / 1000`). */
  clock?: (() => number) | undefined;
}

/** Inputs of one client assertion. */
export interface ClientAssertionInput {
  /**
   * The `aud` claim, a single string: the authorization server's issuer identifier exactly as its
   * metadata states it (draft-ietf-oauth-rfc7523bis), or, for an older server that insists on it,
   * its token endpoint URL.
   */
  audience: string;
  /** The time of the assertion in seconds since the epoch (default: the signer's clock). */
  now?: number | undefined;
  /**
   * Seconds to add to that time to match the authorization server's clock (its time minus ours),
   * once the network layer has measured a skew. Default 0.
   */
  clockOffset?: number | undefined;
}

/** Makes private_key_jwt client assertions for one client. */
export interface ClientAssertionSigner {
  /** The client_id that is both `iss` and `sub`. */
  readonly clientId: string;
  /**
   * A new assertion, with a new `jti`, on every call: call it for every token, backchannel or
   * revocation request, retries included. Never log the result.
   */
  create(input: ClientAssertionInput): Promise<string>;
}

/**
 * Creates the private_key_jwt client assertion signer of one client. Each assertion has
 * `iss` = `sub` = `clientId`, a single-string `aud`, a random 128-bit `jti`, `iat`, and `exp` at
 * most 60 seconds later; its header carries `alg`, `typ: client-authentication+jwt` and the
 * signing key's `kid`.
 *
 * Pass a {@link KeyStore} (or the `CurrentKey` that `createCurrentKey` makes of one) instead of a
 * fixed {@link Signer} to follow key rotation: the store's current key is looked up for every
 * assertion, so a rotation takes effect on the next request without a restart. The header is
 * encoded once per key.
 *
 * @example
 * ```ts
 * const assertions = createClientAssertionSigner(store, 'payout-agent');
 * const body = new URLSearchParams({
 *   grant_type: 'client_credentials',
 *   client_assertion_type: clientAssertionType,
 *   client_assertion: await assertions.create({ audience: metadata.issuer }),
 * });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
 * @see https://datatracker.ietf.org/doc/draft-ietf-oauth-rfc7523bis/ (issuer as the audience; explicit typing)
 * @see https://openid.net/specs/openid-connect-core-1_0.html#ClientAuthentication (private_key_jwt)
 */
export function createClientAssertionSigner(
  key: Signer | KeyStore,
  clientId: string,
  options: ClientAssertionOptions = {},
): ClientAssertionSigner {
  if (typeof clientId !== 'string' || clientId.length === 0) throw new ConfigurationError('clientId must be a non-empty string');
  const lifetime = options.lifetimeSeconds ?? 60;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 60) {
    throw new ConfigurationError('lifetimeSeconds must be an integer from 1 to 60');
  }
  const clock = options.clock ?? (() => Date.now() / 1000);
  let current: { signer: Signer; jws: CompactJwsSigner } | undefined;

  function jwsFor(signer: Signer): CompactJwsSigner {
    if (current?.signer !== signer) current = { signer, jws: createCompactJwsSigner(signer, { typ: assertionTyp, kid: signer.kid }) };
    return current.jws;
  }

  return Object.freeze({
    clientId,
    async create({ audience, now, clockOffset }: ClientAssertionInput): Promise<string> {
      if (typeof audience !== 'string' || audience.length === 0) throw new ConfigurationError('audience must be a non-empty string');
      const signer = isKeyStore(key) ? await key.load() : key;
      const iat = Math.floor((now ?? clock()) + (clockOffset ?? 0));
      return jwsFor(signer).sign({
        iss: clientId,
        sub: clientId,
        aud: audience,
        jti: randomId(),
        iat,
        exp: iat + lifetime,
      });
    },
  });
}
