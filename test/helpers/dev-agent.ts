/**
 * Starts the devkit stack and an agent registered with it, wired through a counting dispatcher,
 * remembering every secret (tokens, assertions, keys) the run produces for the leak test.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createAgent, createNodeSigner, type Agent, type AgentOptions, type AuditEvent, type Signer } from '@countersign/core';
import { startDevStack, type DevStack, type DevStackOptions } from '@countersign/devkit';
import { createCountingDispatcher } from './counting-dispatcher.js';
import { rememberSecret } from './error-collector.js';

export interface DevAgent {
  stack: DevStack;
  agent: Agent;
  clientId: string;
  counter: ReturnType<typeof createCountingDispatcher>;
  /** The agent's identity key, as a signer (to make assertions in tests). */
  identity: Signer;
  /** Every audit event the agent recorded. */
  events: AuditEvent[];
  close(): Promise<void>;
}

let clients = 0;

export function rememberKey(key: KeyObject): void {
  const jwk = key.export({ format: 'jwk' }) as Record<string, string>;
  rememberSecret(jwk.d);
  rememberSecret(key.export({ format: 'pem', type: 'pkcs8' }).toString());
}

/** An agent registered at `stack` with `scopes`. */
export async function createDevAgent(
  stack: DevStack,
  scopes: string[] = ['accounts:read'],
  options: Partial<AgentOptions> = {},
): Promise<Omit<DevAgent, 'stack'>> {
  const counter = createCountingDispatcher();
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  rememberKey(privateKey);
  const clientId = `agent-${++clients}-${process.pid}`;
  const key = createNodeSigner(privateKey);
  stack.registerAgent({ clientId, jwks: { keys: [{ ...key.publicJwk, kid: key.kid, alg: 'ES256', use: 'sig' }] }, scopes });
  const events: AuditEvent[] = [];
  const agent = await createAgent({
    issuer: stack.issuer,
    clientId,
    key,
    dispatcher: counter.dispatcher,
    audit: { write: (event) => void events.push(event) },
    ...options,
  });
  return {
    agent,
    counter,
    identity: key,
    events,
    clientId,
    async close() {
      await agent.close().catch(() => undefined);
      await counter.close();
    },
  };
}

export async function startDevAgent(stackOptions: DevStackOptions = {}, scopes?: string[], options?: Partial<AgentOptions>): Promise<DevAgent> {
  const stack = await startDevStack({ port: 0, toolApiPort: 0, ...stackOptions });
  try {
    const created = await createDevAgent(stack, scopes, options);
    return {
      stack,
      ...created,
      async close() {
        await created.close();
        await stack.close();
      },
    };
  } catch (error) {
    await stack.close();
    throw error;
  }
}
