/** A stored oidc-provider model payload. */
type Payload = Record<string, unknown> & { grantId?: string; uid?: string; userCode?: string; consumed?: number };

interface Entry {
  payload: Payload;
  /** Milliseconds since the epoch after which the entry is forgotten; Infinity for clients. */
  forgetAt: number;
}

/**
 * Models keep expired entries this long past their TTL. oidc-provider checks `exp` itself, so a
 * kept entry is never honoured past its expiry; keeping it lets a late CIBA poll get the precise
 * `expired_token` instead of a vague "not found".
 */
const RETENTION_SECONDS = 600;
const SWEEP_EVERY_WRITES = 256;

/** Adapter methods oidc-provider calls, for one model. */
export interface ModelAdapter {
  upsert(id: string, payload: Payload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Payload | undefined>;
  findByUid(uid: string): Promise<Payload | undefined>;
  findByUserCode(userCode: string): Promise<Payload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/** One stack's in-memory storage for oidc-provider, with synchronous access for the devkit itself. */
export interface MemoryStorage {
  /** The `adapter` option of oidc-provider: a factory called with the model name. */
  adapterFor(model: string): ModelAdapter;
  /** Stores a payload without expiry (clients). */
  put(model: string, id: string, payload: Payload): void;
  /** The payload of `model` `id`, if stored. */
  get(model: string, id: string): Payload | undefined;
  /** Forgets `model` `id`. */
  remove(model: string, id: string): void;
}

/**
 * Creates storage private to one dev stack. oidc-provider's bundled memory adapter shares one LRU
 * of 1000 entries across every provider in the process, so clients of one stack could be evicted
 * by the DPoP replay records of another; this one is per stack and never evicts a live entry.
 */
export function createMemoryStorage(clock: () => number = Date.now): MemoryStorage {
  const entries = new Map<string, Entry>();
  const grants = new Map<string, Set<string>>();
  const secondary = new Map<string, string>();
  let writes = 0;

  const keyOf = (model: string, id: string) => `${model}:${id}`;

  function read(key: string): Payload | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.forgetAt <= clock()) {
      drop(key);
      return undefined;
    }
    return entry.payload;
  }

  function drop(key: string): void {
    const entry = entries.get(key);
    if (entry === undefined) return;
    entries.delete(key);
    const { grantId, uid, userCode } = entry.payload;
    if (grantId !== undefined) grants.get(grantId)?.delete(key);
    if (uid !== undefined && secondary.get(`uid:${uid}`) === key) secondary.delete(`uid:${uid}`);
    if (userCode !== undefined && secondary.get(`userCode:${userCode}`) === key) secondary.delete(`userCode:${userCode}`);
  }

  function sweep(): void {
    const now = clock();
    for (const [key, entry] of entries) if (entry.forgetAt <= now) drop(key);
    for (const [grantId, members] of grants) if (members.size === 0) grants.delete(grantId);
  }

  function write(key: string, payload: Payload, forgetAt: number): void {
    drop(key);
    entries.set(key, { payload, forgetAt });
    if (payload.grantId !== undefined) {
      let members = grants.get(payload.grantId);
      if (members === undefined) grants.set(payload.grantId, (members = new Set()));
      members.add(key);
    }
    if (payload.uid !== undefined) secondary.set(`uid:${payload.uid}`, key);
    if (payload.userCode !== undefined) secondary.set(`userCode:${payload.userCode}`, key);
    if (++writes % SWEEP_EVERY_WRITES === 0) sweep();
  }

  return {
    adapterFor(model) {
      return {
        async upsert(id, payload, expiresIn) {
          const forgetAt = typeof expiresIn === 'number' ? clock() + (expiresIn + RETENTION_SECONDS) * 1000 : Infinity;
          write(keyOf(model, id), payload, forgetAt);
        },
        async find(id) {
          return read(keyOf(model, id));
        },
        async findByUid(uid) {
          const key = secondary.get(`uid:${uid}`);
          return key === undefined ? undefined : read(key);
        },
        async findByUserCode(userCode) {
          const key = secondary.get(`userCode:${userCode}`);
          return key === undefined ? undefined : read(key);
        },
        async consume(id) {
          const payload = read(keyOf(model, id));
          if (payload !== undefined) payload.consumed = Math.floor(clock() / 1000);
        },
        async destroy(id) {
          drop(keyOf(model, id));
        },
        async revokeByGrantId(grantId) {
          for (const key of [...(grants.get(grantId) ?? [])]) drop(key);
          grants.delete(grantId);
        },
      };
    },
    put(model, id, payload) {
      write(keyOf(model, id), payload, Infinity);
    },
    get(model, id) {
      return read(keyOf(model, id));
    },
    remove(model, id) {
      drop(keyOf(model, id));
    },
  };
}
