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
   * false, unless a proof made on demand has shown the signer to be synchronous and the last two
   * proofs asked for that method and URL came at most `maxAgeMs` apart; nor after
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

/** What is remembered per method and URL. */
interface Slot {
  /** When a proof was last asked for, in seconds on the prover's clock. */
  requestedAt: number;
  /** The request before that one came at most `maxAgeMs` earlier: signing ahead is likely to pay. */
  repeating: boolean;
  /** A proof signed ahead, not handed out yet. */
  kept: KeptProof | undefined;
}

interface KeptProof {
  readonly accessToken: string | undefined;
  readonly nonce: string | undefined;
  readonly clockOffset: number;
  /** When it was signed, in seconds on the prover's clock: its `iat` is this, rounded down. */
  readonly createdAt: number;
  readonly proof: string;
}

/** Distinct method and URL pairs remembered at a time; the least recently requested goes first. */
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
 * - at most one proof per method and URL, for at most 8 of them;
 * - only a synchronous signer (node:crypto, or the pure-JS fallback) signs ahead: a signer that
 *   returned a promise (a KMS, an HSM) is never called speculatively;
 * - only for a method and URL whose last two requests came at most `maxAgeMs` apart, so an agent
 *   that calls an API now and then never signs a proof it will not use.
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
  const slots = new Map<string, Slot>();
  // Unknown until a proof made on demand shows it; once false (a promise came back), for good.
  let synchronous: boolean | undefined;
  let closed = false;

  const keyOf = (input: DpopProofInput): string => `${input.method} ${String(input.url)}`;
  const within = (since: number, now: number): boolean => now >= since && now - since <= maxAge;
  const serves = (kept: KeptProof, input: DpopProofInput, now: number): boolean =>
    kept.accessToken === input.accessToken &&
    kept.nonce === input.nonce &&
    kept.clockOffset === (input.clockOffset ?? 0) &&
    within(kept.createdAt, now);

  return {
    proof(input) {
      const key = keyOf(input);
      const now = input.now ?? clock();
      const slot = slots.get(key);
      if (slot === undefined) {
        if (slots.size >= capacity) slots.delete(slots.keys().next().value!);
        slots.set(key, { requestedAt: now, repeating: false, kept: undefined });
      } else {
        // Most recently requested last, so the least recently requested is dropped first.
        slots.delete(key);
        slots.set(key, slot);
        slot.repeating = within(slot.requestedAt, now);
        slot.requestedAt = now;
        const { kept } = slot;
        // Used or stale, it goes: no proof is handed out twice.
        slot.kept = undefined;
        if (kept !== undefined && serves(kept, input, now)) return kept.proof;
      }
      const proof = prover.proof(input);
      if (typeof proof === 'string') synchronous ??= true;
      else synchronous = false;
      return proof;
    },
    presign(input) {
      if (closed || synchronous !== true) return false;
      try {
        const slot = slots.get(keyOf(input));
        if (slot === undefined || !slot.repeating) return false;
        const now = clock();
        if (slot.kept !== undefined && serves(slot.kept, input, now)) return false;
        slot.kept = undefined;
        const proof = prover.proof({ ...input, now });
        if (typeof proof !== 'string') {
          synchronous = false;
          proof.catch(() => undefined);
          return false;
        }
        slot.kept = { accessToken: input.accessToken, nonce: input.nonce, clockOffset: input.clockOffset ?? 0, createdAt: now, proof };
        return true;
      } catch {
        // Speculative work only: the next request signs its proof on demand and meets the error there.
        return false;
      }
    },
    discardOrigin(origin) {
      const prefix = `${origin}/`;
      for (const [key, slot] of slots) if (key.slice(key.indexOf(' ') + 1).startsWith(prefix)) slot.kept = undefined;
    },
    clear() {
      for (const slot of slots.values()) slot.kept = undefined;
    },
    close() {
      closed = true;
      slots.clear();
    },
    get size() {
      let size = 0;
      for (const slot of slots.values()) if (slot.kept !== undefined) size++;
      return size;
    },
  };
}
