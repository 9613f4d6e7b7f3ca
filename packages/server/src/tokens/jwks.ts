import { importPublicJwk, isVerifiableAlgorithm, keyFitsAlgorithm, type VerifiableAlgorithm, type VerificationKey } from '../lib/jws-signature.js';
import { refuse } from '../refusal.js';
import { fetchJson } from '../lib/fetch-json.js';

/** The issuer's token signing keys. */
export interface IssuerKeys {
  /**
   * The key for `kid` (or, without `kid`, the only key fitting `alg`), refreshing a remote set when
   * the `kid` is unknown, at most once per cooldown; undefined when there is none. Until a remote set
   * has loaded once, concurrent calls share one fetch, and after a failed fetch every call is refused
   * with `keys_unavailable` (503) without fetching until the cooldown has passed.
   */
  keyFor(kid: string | undefined, alg: VerifiableAlgorithm): Promise<VerificationKey | undefined>;
}

/** Options of {@link createIssuerKeys}. */
export interface IssuerKeysOptions {
  /** A public JWKS, or the `jwks_uri` to fetch it from. */
  source: { keys: ReadonlyArray<Record<string, unknown>> } | URL;
  /** Least time between two refreshes (or retries of a failed first load), seconds, counted from the last answer. */
  refreshCooldown: number;
  fetch: typeof fetch;
  /** Milliseconds since the epoch. */
  now: () => number;
}

const maxKeys = 100;

/**
 * Holds an issuer's JWKS: imported once, looked up by `kid`. A remote set is fetched on first use
 * and again when a token names an unknown `kid` (the issuer rotated), but never more often than the
 * cooldown and one fetch at a time, so a flood of tokens with made-up `kid`s costs one request per
 * cooldown, not one per token.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 */
export function createIssuerKeys(options: IssuerKeysOptions): IssuerKeys {
  let keys: Map<string, Record<string, unknown>> | undefined;
  const imported = new Map<string, VerificationKey>();
  let lastFetch = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | undefined;

  function load(set: unknown): void {
    const list = set !== null && typeof set === 'object' ? (set as { keys?: unknown }).keys : undefined;
    if (!Array.isArray(list)) throw new TypeError('JWKS has no keys array');
    const next = new Map<string, Record<string, unknown>>();
    let unnamed = 0;
    for (const jwk of list.slice(0, maxKeys)) {
      if (jwk === null || typeof jwk !== 'object') continue;
      const entry = jwk as Record<string, unknown>;
      if (entry.use !== undefined && entry.use !== 'sig') continue;
      next.set(typeof entry.kid === 'string' ? `kid:${entry.kid}` : `unnamed:${unnamed++}`, entry);
    }
    keys = next;
    imported.clear();
  }

  async function refresh(): Promise<void> {
    if (options.source instanceof URL) {
      const url = options.source;
      inFlight ??= (async () => {
        lastFetch = options.now();
        try {
          load(await fetchJson(options.fetch, url, { method: 'GET', headers: { accept: 'application/jwk-set+json, application/json' } }));
        } finally {
          // The cooldown counts from the answer, so a slow (up to the fetch timeout) endpoint is not asked again at once.
          lastFetch = options.now();
          inFlight = undefined;
        }
      })();
      return inFlight;
    }
    load(options.source);
  }

  function importFor(id: string, jwk: Record<string, unknown>, alg: VerifiableAlgorithm): VerificationKey | undefined {
    const cacheKey = `${id}|${alg}`;
    const known = imported.get(cacheKey);
    if (known !== undefined) return known;
    if (!keyFitsAlgorithm(jwk, alg) || (jwk.alg !== undefined && jwk.alg !== alg) || !isVerifiableAlgorithm(alg)) return undefined;
    try {
      const key = importPublicJwk(jwk, alg);
      imported.set(cacheKey, key);
      return key;
    } catch {
      return undefined;
    }
  }

  function find(kid: string | undefined, alg: VerifiableAlgorithm): VerificationKey | undefined {
    if (keys === undefined) return undefined;
    if (kid !== undefined) {
      const jwk = keys.get(`kid:${kid}`);
      return jwk === undefined ? undefined : importFor(`kid:${kid}`, jwk, alg);
    }
    const fitting = [...keys].filter(([, jwk]) => keyFitsAlgorithm(jwk, alg));
    return fitting.length === 1 ? importFor(fitting[0]![0], fitting[0]![1], alg) : undefined;
  }

  return {
    async keyFor(kid, alg) {
      if (keys === undefined) {
        // Never loaded (or every load failed): a failed load waits out the cooldown like a refresh does,
        // so forged tokens cannot make each request fetch the JWKS; meanwhile requests are refused at once.
        if (inFlight === undefined && options.now() - lastFetch < options.refreshCooldown * 1000) {
          refuse('keys_unavailable', 'the issuer keys are unavailable; retrying after the refresh cooldown');
        }
        try {
          await refresh();
        } catch {
          refuse('keys_unavailable', 'the issuer keys are unavailable');
        }
      }
      const found = find(kid, alg);
      if (found !== undefined || !(options.source instanceof URL)) return found;
      if (inFlight === undefined && options.now() - lastFetch < options.refreshCooldown * 1000) return undefined;
      try {
        await refresh();
      } catch {
        return undefined;
      }
      return find(kid, alg);
    },
  };
}
