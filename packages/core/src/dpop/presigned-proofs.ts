import { ConfigurationError } from '../errors.js';
import type { DpopProofInput, DpopProver } from './proof.js';

/** Options of {@link createPresignedProofs}. */
export interface PresignedProofsOptions {
  /**
   * How old a pre-signed proof may be when it is sent, in milliseconds (default 1000, at most
   * 10 000). An older one is thrown away and a new proof signed instead.
   */
  maxAgeMs?: number | undefined;
  /** Clock in seconds since the epoch: the one the prover's `iat` comes from (default `Date.now() / 1000`). */
  clock?: (() => number) | undefined;
}

/**
 * A DPoP prover that can sign the next proof ahead of time, while the thread would otherwise wait
 * for a response, and keeps at most one such proof per method and URL.
 */
export interface PresignedProofs {
  /**
   * A proof for `input`: the proof kept for the same method and URL when its access token, nonce
   * and clock offset are exactly these and it is at most `maxAgeMs` old, otherwise a new one from
   * the prover. A kept proof leaves the slot when it is looked at, so it is sent at most once.
   */
  proof(input: DpopProofInput): string | Promise<string>;
  /**
   * Signs a proof for `input` now (its `iat` is now; `input.now` is ignored) and keeps it for the
   * next {@link PresignedProofs.proof} call with the same method and URL. Does nothing, and returns
   * false, until a proof made on demand has shown the signer to be synchronous, after
   * {@link PresignedProofs.close}, or when the proof kept for that method and URL would already
   * serve. Never throws: a failure only means the next proof is signed on demand.
   */
  presign(input: DpopProofInput): boolean;
  /** Drops the proofs kept for URLs of `origin` (for example when its nonce changed). */
  discardOrigin(origin: string): void;
  /** Drops every kept proof (for example after a challenge or when a token was dropped). */
  clear(): void;
  /** Drops every kept proof and signs no more ahead of time. */
  close(): void;
  /** How many proofs are kept. */
  readonly size: number;
}

interface KeptProof {
  readonly method: string;
  readonly url: string;
  readonly accessToken: string | undefined;
  readonly nonce: string | undefined;
  readonly clockOffset: number;
  /** When it was signed, in seconds on the prover's clock: its `iat` is this, rounded down. */
  readonly createdAt: number;
  readonly proof: string;
}

/** Distinct method and URL pairs kept at a time; the least recently signed goes first. */
const capacity = 8;
const maxAgeLimitMs = 10_000;

/**
 * Wraps a DPoP prover so a request's proof can be signed before the request is made: the caller
 * hands a request to the network, then (in `setImmediate`) calls `presign` with what the next
 * request to the same method and URL will most likely carry, and the next request's `proof` call
 * finds that proof ready. This hides the signature's latency behind the wait for the response
 * without weakening a proof:
 *
 * - every proof has its own `jti` and is handed out once (it leaves the slot when looked at);
 * - a kept proof is used only for exactly the same `htm`, URL (so `htu`), access token (so `ath`),
 *   nonce and clock offset, and only while it is at most `maxAgeMs` old (default 1 s); its `iat`
 *   is the time it was signed, never adjusted;
 * - at most one proof per method and URL, at most 8 in all;
 * - only a synchronous signer (node:crypto, or the pure-JS fallback) signs ahead: a signer that
 *   returned a promise (a KMS, an HSM) is never called speculatively.
 *
 * Callers pass the URL without its query (what `htu` is made of), so that requests to one
 * resource with different query strings share one kept proof.
 *
 * @example
 * ```ts
 * const proofs = createPresignedProofs(createDpopProver(signer));
 * const input = { method: 'GET', url: 'https://api.example/accounts', accessToken, nonce };
 * const pending = fetch(url, { headers: { authorization: `DPoP ${accessToken}`, dpop: await proofs.proof(input) } });
 * setImmediate(() => proofs.presign(input));
 * ```
 * @throws {ConfigurationError} `maxAgeMs` is not a number from 1 to 10 000
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2 (jti, iat)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-11.1 (replay)
 */
export function createPresignedProofs(prover: DpopProver, options: PresignedProofsOptions = {}): PresignedProofs {
  const maxAgeMs = options.maxAgeMs ?? 1000;
  if (typeof maxAgeMs !== 'number' || !(maxAgeMs >= 1 && maxAgeMs <= maxAgeLimitMs)) {
    throw new ConfigurationError(`dpop.presign.maxAgeMs must be a number of milliseconds from 1 to ${maxAgeLimitMs}`);
  }
  const maxAge = maxAgeMs / 1000;
  const clock = options.clock ?? (() => Date.now() / 1000);
  const kept = new Map<string, KeptProof>();
  // Unknown until a proof made on demand shows it; once false (a promise came back), for good.
  let synchronous: boolean | undefined;
  let closed = false;

  const keyOf = (input: DpopProofInput): string => `${input.method} ${String(input.url)}`;
  const serves = (entry: KeptProof, input: DpopProofInput, now: number): boolean => {
    const age = now - entry.createdAt;
    return (
      entry.accessToken === input.accessToken &&
      entry.nonce === input.nonce &&
      entry.clockOffset === (input.clockOffset ?? 0) &&
      age >= 0 &&
      age <= maxAge
    );
  };

  return {
    proof(input) {
      if (kept.size > 0) {
        const key = keyOf(input);
        const entry = kept.get(key);
        if (entry !== undefined) {
          // Used or stale, it goes: no proof is handed out twice.
          kept.delete(key);
          if (serves(entry, input, input.now ?? clock())) return entry.proof;
        }
      }
      const proof = prover.proof(input);
      if (typeof proof === 'string') synchronous ??= true;
      else synchronous = false;
      return proof;
    },
    presign(input) {
      if (closed || synchronous !== true) return false;
      try {
        const key = keyOf(input);
        const now = clock();
        const existing = kept.get(key);
        if (existing !== undefined && serves(existing, input, now)) return false;
        const proof = prover.proof({ ...input, now });
        if (typeof proof !== 'string') {
          synchronous = false;
          proof.catch(() => undefined);
          return false;
        }
        kept.delete(key);
        if (kept.size >= capacity) kept.delete(kept.keys().next().value!);
        kept.set(key, {
          method: input.method,
          url: String(input.url),
          accessToken: input.accessToken,
          nonce: input.nonce,
          clockOffset: input.clockOffset ?? 0,
          createdAt: now,
          proof,
        });
        return true;
      } catch {
        // Speculative work only: the next request signs its proof on demand and meets the error there.
        return false;
      }
    },
    discardOrigin(origin) {
      const prefix = `${origin}/`;
      for (const [key, entry] of kept) if (entry.url.startsWith(prefix)) kept.delete(key);
    },
    clear() {
      kept.clear();
    },
    close() {
      closed = true;
      kept.clear();
    },
    get size() {
      return kept.size;
    },
  };
}
