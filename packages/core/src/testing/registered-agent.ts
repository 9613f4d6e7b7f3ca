import { createAgent } from '../agent.js';
import { generateKey } from '../keys/generate-key.js';
import type { Agent, AgentOptions } from '../types.js';

/**
 * What {@link createRegisteredAgent} needs of an authorization server that registers agents in
 * process: the devkit's `startDevStack()` result fits as it is (this entry never imports the devkit).
 */
export interface AgentRegistry {
  /** Issuer identifier (RFC 8414 §2). */
  readonly issuer: string;
  /** Registers a client with its public keys (RFC 7591 §2 `jwks`) and the scopes it may request. */
  registerAgent(registration: { clientId: string; jwks: { keys: Array<Record<string, unknown>> }; scopes: string[] }): void;
}

/** Options of {@link createRegisteredAgent}: the scopes, and any {@link AgentOptions} but the identity. */
export type RegisteredAgentOptions = Omit<AgentOptions, 'issuer' | 'clientId' | 'key'> & {
  /** Scopes the agent may request, e.g. `['accounts:read', 'payouts:write']`. */
  scopes: string[];
  /** client_id (default: a fresh `test-agent-<n>-<pid>`). */
  clientId?: string | undefined;
};

let registered = 0;

/**
 * A REAL agent for tests: a fresh ES256 identity key (RFC 7518 §3.4), registered with `registry`
 * for private_key_jwt (RFC 7523 §2.2), then `createAgent()` against its issuer. Guard a tool with
 * it (`guardTool(agent, …)`) and the adapter under test runs the real guard, real CIBA and real
 * DPoP-bound tokens. Close the agent when done.
 *
 * ```ts
 * const stack = await startDevStack({ port: 0, toolApiPort: 0 });
 * const agent = await createRegisteredAgent(stack, { scopes: ['payouts:write'] });
 * ```
 */
export async function createRegisteredAgent(registry: AgentRegistry, options: RegisteredAgentOptions): Promise<Agent> {
  const { scopes, clientId = `test-agent-${++registered}-${process.pid}`, ...agentOptions } = options;
  const key = await generateKey();
  registry.registerAgent({ clientId, jwks: { keys: [{ ...key.publicJwk, kid: key.kid, alg: key.alg, use: 'sig' }] }, scopes: [...scopes] });
  return createAgent({ ...agentOptions, issuer: registry.issuer, clientId, key });
}
