import * as z from 'zod';
import { DevkitError } from '../errors.js';
import type { AgentRegistration, WorkloadAgentRegistration } from '../types.js';
import { workloadClientMetadata } from './workload-clients.js';
import { AGENT_ACTION_TYPE } from './agent-action-details.js';
import type { MemoryStorage } from './memory-adapter.js';

/** The CIBA grant type. */
export const CIBA_GRANT_TYPE = 'urn:openid:params:grant-type:ciba';

const publicJwkSchema = z.union([
  z.object({
    kty: z.literal('EC'),
    crv: z.literal('P-256'),
    x: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
    y: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
    kid: z.string().min(1).max(200).optional(),
    alg: z.literal('ES256').optional(),
    use: z.literal('sig').optional(),
  }),
  z.object({
    kty: z.literal('OKP'),
    crv: z.literal('Ed25519'),
    x: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
    kid: z.string().min(1).max(200).optional(),
    alg: z.enum(['EdDSA', 'Ed25519']).optional(),
    use: z.literal('sig').optional(),
  }),
]);

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

/** The registered agents of one stack: clients of its authorization server. */
export interface AgentClients {
  /**
   * Adds the agent, or replaces its JWKS and scopes; re-enables a disabled agent (with nothing it
   * held before). With `guard` (a registration from another process, over HTTP), changing the keys,
   * scopes or owner of an agent that is registered now is refused (`already_registered`) unless
   * `guard.rotate`; the same registration again is accepted as is. With `guard`, an agent the kill
   * switch turned off is refused (`agent_disabled`) whatever it sends: otherwise its own process could
   * register itself again and keep working. Only a registration without `guard` (the operator, in the
   * stack's process) re-enables it. `rotate` is an accident guard, not an access control: the dev
   * inbox has no login, so any local process may register a new agent or rotate an enabled one.
   */
  register(registration: AgentRegistration, guard?: { rotate: boolean }): void;
  /** Adds (or replaces) an agent that uses the JWT bearer grant with workload JWTs from `issuer`. */
  registerWorkload(registration: WorkloadAgentRegistration, issuer: string): void;
  /** The workload registered for a client, while it is registered and enabled. */
  workloadOf(clientId: string): { issuer: string; subject: string } | undefined;
  /**
   * Removes the agent's client: its next client authentication fails with `invalid_client`, and
   * (through `onDisable`, the kill switch) everything it held is revoked for good: registering the
   * client again, with the same key or a new one, brings none of it back.
   */
  disable(clientId: string): void;
  /** The scopes an agent may request, while it is registered and enabled. */
  scopesOf(clientId: string): ReadonlySet<string> | undefined;
  /** The approver id of the agent's owner, when its registration named one. */
  ownerOf(clientId: string): string | undefined;
}

/** Options of {@link createAgentClients}. */
export interface AgentClientsOptions {
  storage: MemoryStorage;
  /** Scopes the stack's resource servers serve; registrations may only name these. */
  knownScopes: ReadonlySet<string>;
  /** Builds oidc-provider's client from metadata, throwing when the metadata is invalid. */
  validateMetadata(metadata: Record<string, unknown>): void;
  /** Called after an agent was disabled: the kill switch revokes its approvals, CIBA requests and tokens. */
  onDisable?(clientId: string): void;
}

/**
 * Creates the agent registry. Clients live in the stack's own storage, and oidc-provider caches a
 * stored client under a hash of its metadata, so a new JWKS takes effect on the next request: no
 * stale key survives a rotation.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2 (private_key_jwt)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5.2 (dpop_bound_access_tokens)
 */
export function createAgentClients(options: AgentClientsOptions): AgentClients {
  const scopes = new Map<string, ReadonlySet<string>>();
  const owners = new Map<string, string>();
  const workloads = new Map<string, { issuer: string; subject: string }>();
  /** What each enabled agent is registered with, to tell a repeat from a change. */
  const signatures = new Map<string, string>();
  /** Agents the kill switch turned off and the operator has not registered again. */
  const disabled = new Set<string>();

  function store(clientId: string, metadata: Record<string, unknown>, requestedScopes: string[], owner: string | undefined): void {
    try {
      options.validateMetadata(metadata);
    } catch (error) {
      const description = (error as { error_description?: unknown }).error_description;
      throw new DevkitError('invalid_request', `agent ${clientId}: ${typeof description === 'string' ? description : 'invalid client metadata'}`);
    }
    options.storage.put('Client', clientId, metadata);
    scopes.set(clientId, new Set(requestedScopes));
    if (owner === undefined) owners.delete(clientId);
    else owners.set(clientId, owner);
  }

  return {
    register(registration, guard) {
      const { clientId, jwks, scopes: requestedScopes } = checkRegistration(registration, options.knownScopes);
      const owner = checkOwner(clientId, registration.owner);
      const signature = JSON.stringify([jwks.keys.map((key) => JSON.stringify(Object.entries(key).sort())).sort(), [...requestedScopes].sort(), owner ?? null]);
      if (guard !== undefined && disabled.has(clientId)) {
        throw new DevkitError(
          'agent_disabled',
          `agent ${clientId} was disabled with the kill switch; nothing changed. Only the operator can register it again (stack.registerAgent in the stack's process)`,
        );
      }
      const current = scopes.has(clientId) ? signatures.get(clientId) : undefined;
      if (guard !== undefined && !guard.rotate && scopes.has(clientId) && current !== signature) {
        throw new DevkitError(
          'already_registered',
          `agent ${clientId} is already registered with other keys, scopes or owner; nothing changed. To replace them, send the registration again with "rotate": true`,
        );
      }
      const metadata = {
        client_id: clientId,
        token_endpoint_auth_method: 'private_key_jwt',
        jwks,
        grant_types: ['client_credentials', CIBA_GRANT_TYPE],
        response_types: [],
        redirect_uris: [],
        backchannel_token_delivery_mode: 'poll',
        dpop_bound_access_tokens: true,
        scope: 'openid',
        authorization_details_types: [AGENT_ACTION_TYPE],
        id_token_signed_response_alg: 'ES256',
      };
      store(clientId, metadata, requestedScopes, owner);
      workloads.delete(clientId);
      signatures.set(clientId, signature);
      disabled.delete(clientId);
    },

    registerWorkload(registration, issuer) {
      const { clientId, subject, scopes: requestedScopes } = checkWorkloadRegistration(registration, options.knownScopes);
      const owner = checkOwner(clientId, registration.owner);
      store(clientId, workloadClientMetadata(clientId), requestedScopes, owner);
      workloads.set(clientId, { issuer, subject });
      signatures.delete(clientId);
      disabled.delete(clientId);
    },

    workloadOf(clientId) {
      return scopes.has(clientId) ? workloads.get(clientId) : undefined;
    },

    disable(clientId) {
      if (typeof clientId !== 'string' || !scopes.has(clientId)) {
        throw new DevkitError('unknown_client', 'no registered agent with this client_id');
      }
      options.storage.remove('Client', clientId);
      scopes.delete(clientId);
      owners.delete(clientId);
      workloads.delete(clientId);
      signatures.delete(clientId);
      disabled.add(clientId);
      options.onDisable?.(clientId);
    },

    scopesOf(clientId) {
      return scopes.get(clientId);
    },

    ownerOf(clientId) {
      return owners.get(clientId);
    },
  };
}

function checkOwner(clientId: string, owner: unknown): string | undefined {
  if (owner !== undefined && (typeof owner !== 'string' || !/^[\x21-\x7E]{1,200}$/.test(owner))) {
    throw new DevkitError('invalid_request', `agent ${clientId}: owner must be an approver id`);
  }
  return owner;
}

function checkWorkloadRegistration(registration: WorkloadAgentRegistration, knownScopes: ReadonlySet<string>): { clientId: string; subject: string; scopes: string[] } {
  const { clientId, subject, scopes } = (registration ?? {}) as Partial<WorkloadAgentRegistration>;
  if (typeof clientId !== 'string' || !/^[\x21-\x7E]{1,200}$/.test(clientId)) {
    throw new DevkitError('invalid_request', 'clientId must be 1 to 200 visible ASCII characters');
  }
  if (typeof subject !== 'string' || !/^[\x21-\x7E]{1,200}$/.test(subject)) {
    throw new DevkitError('invalid_request', `agent ${clientId}: subject must be 1 to 200 visible ASCII characters`);
  }
  return { clientId, subject, scopes: checkScopes(clientId, scopes, knownScopes) };
}

function checkScopes(clientId: string, scopes: unknown, knownScopes: ReadonlySet<string>): string[] {
  if (!Array.isArray(scopes) || scopes.some((scope) => typeof scope !== 'string')) {
    throw new DevkitError('invalid_request', `agent ${clientId}: scopes must be an array of strings`);
  }
  const unknown = (scopes as string[]).filter((scope) => scope !== 'openid' && !knownScopes.has(scope));
  if (unknown.length > 0) {
    throw new DevkitError('invalid_request', `agent ${clientId}: unknown scope(s) ${unknown.join(', ')}; known: ${[...knownScopes].join(', ')}`);
  }
  return (scopes as string[]).filter((scope) => scope !== 'openid');
}

function checkRegistration(
  registration: AgentRegistration,
  knownScopes: ReadonlySet<string>,
): { clientId: string; jwks: { keys: Array<Record<string, string>> }; scopes: string[] } {
  const { clientId, jwks, scopes } = (registration ?? {}) as Partial<AgentRegistration>;
  if (typeof clientId !== 'string' || !/^[\x21-\x7E]{1,200}$/.test(clientId)) {
    throw new DevkitError('invalid_request', 'clientId must be 1 to 200 visible ASCII characters');
  }
  const keys = jwks?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > 10) {
    throw new DevkitError('invalid_request', `agent ${clientId}: jwks.keys must hold 1 to 10 public keys`);
  }
  const publicKeys = keys.map((key, index) => {
    if (key !== null && typeof key === 'object' && PRIVATE_MEMBERS.some((member) => member in key)) {
      throw new DevkitError('invalid_request', `agent ${clientId}: jwks.keys[${index}] holds private key material; register public keys only`);
    }
    const parsed = publicJwkSchema.safeParse(key);
    if (!parsed.success) {
      throw new DevkitError('invalid_request', `agent ${clientId}: jwks.keys[${index}] must be a public P-256 (ES256) or Ed25519 (EdDSA) key`);
    }
    return Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== undefined)) as Record<string, string>;
  });
  return { clientId, jwks: { keys: publicKeys }, scopes: checkScopes(clientId, scopes, knownScopes) };
}
