import { generateKey, type Signer, type SigningAlgorithm } from '@countersign/core';
import { DpopNonceCache, parseWwwAuthenticate, createDpopProver, type DpopProver } from '@countersign/core/dpop';

/** The fetch the MCP SDK's transports take (`StreamableHTTPClientTransport({ fetch })`). */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** Options of the DPoP key every Countersign MCP fetch holds. */
export interface DpopKeyOptions {
  /** The DPoP key; default a fresh non-extractable key for this instance. */
  key?: Signer | undefined;
  /** Algorithm of the fresh key (default `ES256`). */
  alg?: SigningAlgorithm | undefined;
}

/** Sends requests with a fresh DPoP proof each, and answers one nonce challenge per request. */
export interface DpopSender {
  /** The proof key's JWK SHA-256 thumbprint (the `jkt` tokens are bound to). */
  thumbprint(): Promise<string>;
  /**
   * Sends `build()` to `url` with a new proof (bound to `accessToken` through `ath` when given, and
   * then presented with the `DPoP` scheme). When the server answers `use_dpop_nonce` with a new
   * `DPoP-Nonce`, the request is built again (new proof, new client assertion) and sent once more.
   */
  send(url: URL, build: () => RequestInit | Promise<RequestInit>, accessToken?: string): Promise<Response>;
}

/**
 * Creates the DPoP sender: core's proof signer and per-origin nonce cache over a fetch.
 *
 * @example
 * ```ts
 * const sender = createDpopSender({});
 * const response = await sender.send(new URL('https://mcp.example/mcp'), () => ({ method: 'POST', body }), token);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4 (proofs)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-8 (authorization server nonces)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-9 (resource server nonces)
 */
export function createDpopSender(options: DpopKeyOptions & { fetch?: FetchLike | undefined; nonces?: DpopNonceCache | undefined }): DpopSender {
  const baseFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const nonces = options.nonces ?? new DpopNonceCache();
  let prover: Promise<DpopProver> | undefined;
  const getProver = () => (prover ??= (async () => createDpopProver(options.key ?? (await generateKey({ alg: options.alg ?? 'ES256' }))))());

  async function send(url: URL, build: () => RequestInit | Promise<RequestInit>, accessToken?: string): Promise<Response> {
    const dpop = await getProver();
    for (let attempt = 0; ; attempt++) {
      const init = await build();
      const headers = new Headers(init.headers);
      const nonce = nonces.get(url.origin);
      headers.set('dpop', await dpop.proof({ method: init.method ?? 'GET', url, nonce, accessToken }));
      if (accessToken !== undefined) headers.set('authorization', `DPoP ${accessToken}`);
      const response = await baseFetch(url, { ...init, headers });
      const fresh = response.headers.get('dpop-nonce');
      if (fresh) nonces.set(url.origin, fresh);
      if (attempt === 0 && fresh && fresh !== nonce && (await asksForNonce(response))) {
        await response.body?.cancel();
        continue;
      }
      return response;
    }
  }

  return { send, thumbprint: async () => (await getProver()).thumbprint };
}

/** A resource server's 401 `DPoP error="use_dpop_nonce"`, or an authorization server's 400 `use_dpop_nonce`. */
async function asksForNonce(response: Response): Promise<boolean> {
  if (response.status === 401) {
    return parseWwwAuthenticate(response.headers.get('www-authenticate')).some(
      (challenge) => challenge.scheme === 'dpop' && challenge.parameters.error === 'use_dpop_nonce',
    );
  }
  if (response.status !== 400) return false;
  try {
    const body = (await response.clone().json()) as { error?: unknown };
    return body?.error === 'use_dpop_nonce';
  } catch {
    return false;
  }
}

/** The URL of a fetch input. */
export function urlOf(input: string | URL | Request): URL {
  return new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
}
