/** One JWT access token the authorization server issued. Holds no token value. */
export interface IssuedToken {
  jti: string;
  clientId: string;
  /** Seconds since the epoch. */
  exp: number;
}

/**
 * The JWT access tokens this stack issued, and which of them are revoked. A JWT access token
 * cannot be revoked in oidc-provider (it is never stored), so the devkit keeps this ledger and the
 * demo tool API asks {@link AccessTokenLedger.isRevoked} on every request.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.2
 */
export interface AccessTokenLedger {
  /** Records a freshly issued token. */
  record(token: IssuedToken): void;
  /** The issued token with this `jti`, while it has not expired. */
  find(jti: string): IssuedToken | undefined;
  /** Marks the token revoked until it expires; returns false when the ledger does not know it. */
  revoke(jti: string): boolean;
  /** Revokes every live token of a client (the agent was disabled); returns how many. */
  revokeClient(clientId: string): number;
  /** Whether the token with this `jti` was revoked. Unknown ids are not revoked: expiry covers them. */
  isRevoked(jti: string): boolean;
}

const SWEEP_EVERY_WRITES = 256;

/** Creates an in-memory {@link AccessTokenLedger}; entries are forgotten once their token expired. */
export function createAccessTokenLedger(clock: () => number = Date.now): AccessTokenLedger {
  const issued = new Map<string, IssuedToken>();
  const revoked = new Map<string, number>();
  let writes = 0;

  const nowSeconds = () => Math.floor(clock() / 1000);

  function sweep(): void {
    const now = nowSeconds();
    for (const [jti, token] of issued) if (token.exp < now) issued.delete(jti);
    for (const [jti, exp] of revoked) if (exp < now) revoked.delete(jti);
  }

  return {
    record(token) {
      issued.set(token.jti, { ...token });
      if (++writes % SWEEP_EVERY_WRITES === 0) sweep();
    },
    find(jti) {
      const token = issued.get(jti);
      return token !== undefined && token.exp >= nowSeconds() ? { ...token } : undefined;
    },
    revoke(jti) {
      const token = issued.get(jti);
      if (token === undefined) return false;
      revoked.set(jti, token.exp);
      return true;
    },
    revokeClient(clientId) {
      let count = 0;
      const now = nowSeconds();
      for (const token of issued.values()) {
        if (token.clientId === clientId && token.exp >= now && !revoked.has(token.jti)) {
          revoked.set(token.jti, token.exp);
          count += 1;
        }
      }
      return count;
    },
    isRevoked(jti) {
      return typeof jti === 'string' && revoked.has(jti);
    },
  };
}
