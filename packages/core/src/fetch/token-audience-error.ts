import { boundedMemo } from '../lib/bounded-memo.js';
import { CountersignError } from '../errors.js';

/**
 * A request would carry a token to an origin other than the one of the resource the token was
 * issued for (its RFC 8707 `resource`). Nothing was sent. `resource` and `origin` are public
 * addresses: the message holds neither a token nor a proof.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2 (resource indicators)
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-2.3 (access token privilege restriction)
 */
export class TokenAudienceError extends CountersignError {
  static override readonly code: string = 'ERR_TOKEN_AUDIENCE';
  override readonly code = 'ERR_TOKEN_AUDIENCE';
  /** The resource indicator of the token. */
  readonly resource: string;
  /** The origin the request was for. */
  readonly origin: string;
  constructor(resource: string, origin: string) {
    super(`a token for ${resource} may only be sent to its origin, not to ${origin}`);
    this.resource = resource;
    this.origin = origin;
  }
}

/** The origin of a resource indicator, or `undefined` when it has none (not an http(s) URL). */
export function resourceOrigin(resource: string): string | undefined {
  return knownOrigin(resource);
}

// Parsed once per resource string: every request checks its token's resource.
const knownOrigin = boundedMemo((resource: string): string | undefined => {
  if (!URL.canParse(resource)) return undefined;
  const { protocol, origin } = new URL(resource);
  return protocol === 'https:' || protocol === 'http:' ? origin : undefined;
});

/**
 * Throws {@link TokenAudienceError} unless `origin` is the origin of `resource` (when a resource is
 * known): a token goes only to the server it was issued for.
 */
export function assertTokenAudience(resource: string | undefined, origin: string): void {
  if (resource !== undefined && resourceOrigin(resource) !== origin) throw new TokenAudienceError(resource, origin);
}
