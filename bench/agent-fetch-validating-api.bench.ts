/**
 * `agent.fetch` and `agent.dispatcher()` against a loopback API that validates every request with
 * `@countersign/server` (proof signature and claims, nonce, token, binding, scope, replay store;
 * see bench/support/validating-api.ts), side by side with two baselines on the same API:
 *
 * - plain undici `request` with static headers (a real token and one real proof, sent again and
 *   again: the API's replay store is made to count each as new, so it costs the API what a fresh
 *   proof costs);
 * - a minimal DPoP client (bench/support/minimal-dpop-client.ts): one ES256 proof per request
 *   signed with `crypto.sign` on a `KeyObject` (new `jti`, `iat`, `ath`), sent with undici
 *   `request`: the least any client that signs every request on demand can cost.
 *
 * A third baseline is the minimal client with a non-extractable WebCrypto `CryptoKey` (signing with
 * `crypto.subtle.sign`), to show what keeping the key in WebCrypto would cost per request.
 *
 * The API runs in this process (its CPU time is shared with the client, as in an application that
 * calls itself or a test) and then in a child process. Both baselines also run on undici 7
 * (`undici-7`, an npm alias), to compare the majors in the same run (issue 18); the agent itself
 * uses the workspace's undici.
 *
 * Target (issue 14): `agent.fetch` reaches at least 0.95x the minimal client's request rate, in
 * both placements.
 *
 * Run alone with `node --import tsx bench/agent-fetch-validating-api.bench.ts`, or with
 * `pnpm bench validating`.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { Agent as Agent7, request as request7 } from 'undici-7';
import { createAgent } from '../packages/core/src/agent.js';
import { createNodeSigner } from '../packages/core/src/keys/node-signer.js';
import { createMinimalDpopClient, type RequestFunction } from './support/minimal-dpop-client.js';
import { compare, type RatioSpec } from './support/side-by-side.js';
import { apiScope, startValidatingApi } from './support/validating-api.js';

const onlyPlacement = process.env.BENCH_PLACEMENT; // 'same-process' | 'child-process' | undefined (both)

async function inChildProcess(): Promise<{ origin: string; close(): Promise<void> }> {
  const script = fileURLToPath(new URL('./support/validating-api-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return {
    origin: chunk.toString().trim(),
    close: async () => {
      child.stdin!.end();
      await once(child, 'exit');
    },
  };
}

const names = {
  static: 'undici request, static headers',
  static7: 'undici 7 request, static headers',
  minimal: 'minimal client (crypto.sign + undici request)',
  minimal7: 'minimal client on undici 7',
  minimalWebCrypto: 'minimal client, WebCrypto non-extractable CryptoKey',
  agentFetch: 'agent.fetch (presign on, the default)',
  agentFetchOnDemand: 'agent.fetch, presign off',
  dispatcher: 'undici request through agent.dispatcher()',
  agentFetch7: 'agent.fetch over an undici 7 dispatcher',
  dispatcher7: 'undici 7 request through agent.dispatcher()',
} as const;

const ratios: RatioSpec[] = [
  { label: 'agent.fetch rate / minimal client rate', numerator: names.minimal, denominator: names.agentFetch, target: { min: 0.95 } },
  { label: 'agent.fetch (presign off) rate / minimal client rate', numerator: names.minimal, denominator: names.agentFetchOnDemand },
  { label: 'agent.dispatcher() rate / minimal client rate', numerator: names.minimal, denominator: names.dispatcher },
  { label: 'minimal client rate / static headers rate', numerator: names.static, denominator: names.minimal },
  { label: 'minimal client: WebCrypto CryptoKey rate / node:crypto KeyObject rate', numerator: names.minimal, denominator: names.minimalWebCrypto },
  { label: 'agent.fetch rate / static headers rate', numerator: names.static, denominator: names.agentFetch },
  { label: 'agent.dispatcher() rate / static headers rate', numerator: names.static, denominator: names.dispatcher },
  { label: 'undici 7: minimal client rate / static headers rate', numerator: names.static7, denominator: names.minimal7 },
  { label: 'agent.fetch rate / undici 7 minimal client rate', numerator: names.minimal7, denominator: names.agentFetch },
  { label: 'undici 7: agent.fetch rate / minimal client rate', numerator: names.minimal7, denominator: names.agentFetch7 },
  { label: 'undici 7: agent.fetch rate / static headers rate', numerator: names.static7, denominator: names.agentFetch7 },
  { label: 'undici 7: agent.dispatcher() rate / minimal client rate', numerator: names.minimal7, denominator: names.dispatcher7 },
  { label: 'undici 8 / undici 7, static headers rate', numerator: names.static7, denominator: names.static },
  { label: 'undici 8 / undici 7, minimal client rate', numerator: names.minimal7, denominator: names.minimal },
  { label: 'undici 8 / undici 7, agent.fetch rate', numerator: names.agentFetch7, denominator: names.agentFetch },
  { label: 'undici 8 / undici 7, agent.dispatcher() rate', numerator: names.dispatcher7, denominator: names.dispatcher },
];

async function measure(placement: string, origin: string): Promise<void> {
  const url = `${origin}/accounts?limit=10`;
  // One connection pool per undici major, shared by every contender on it.
  const dispatcher = new Agent({ keepAliveTimeout: 600_000 });
  const dispatcher7 = new Agent7({ keepAliveTimeout: 600_000 });
  const newAgent = (clientId: string, presign: boolean, over: Agent | Agent7 = dispatcher) =>
    createAgent({
      issuer: origin,
      clientId,
      key: createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
      dispatcher: over as Agent,
      dpop: { presign },
    });
  const agent = await newAgent('bench-agent', true);
  const onDemand = await newAgent('bench-agent-on-demand', false);
  const routed = agent.dispatcher({ resource: origin, scope: apiScope });
  // The same agent code over undici 7's connection pool: core's undici `request` drives an undici 7
  // Agent for agent.fetch, and agent.dispatcher() composes onto it (all undici 7 but the interceptor).
  const agent7 = await newAgent('bench-agent-undici-7', true, dispatcher7);
  const routed7 = agent7.dispatcher({ resource: origin, scope: apiScope });
  const minimal = await createMinimalDpopClient(request as unknown as RequestFunction, dispatcher, `${origin}/token`);
  const minimal7 = await createMinimalDpopClient(request7 as unknown as RequestFunction, dispatcher7, `${origin}/token`);
  const minimalWebCrypto = await createMinimalDpopClient(request as unknown as RequestFunction, dispatcher, `${origin}/token`, { webCrypto: true });
  // Learn the nonce, then freeze one proof carrying it.
  await minimal.get(url);
  const staticHeaders = { authorization: `DPoP ${minimal.accessToken}`, dpop: await minimal.proof('GET', url) };

  const accepted = (status: number) => {
    if (status !== 200) throw new Error(`the API refused a request: ${status}`);
  };
  await compare({
    title: `agent.fetch against a validating API (${placement}), sequential GETs`,
    tasks: {
      [names.static]: async () => {
        const response = await request(url, { headers: staticHeaders, dispatcher });
        accepted(response.statusCode);
        return response.body.arrayBuffer();
      },
      [names.static7]: async () => {
        const response = await request7(url, { headers: staticHeaders, dispatcher: dispatcher7 });
        accepted(response.statusCode);
        return response.body.arrayBuffer();
      },
      [names.minimal]: () => minimal.get(url),
      [names.minimal7]: () => minimal7.get(url),
      [names.minimalWebCrypto]: () => minimalWebCrypto.get(url),
      [names.agentFetch]: async () => {
        const response = await agent.fetch(url, { scope: apiScope });
        accepted(response.status);
        return response.arrayBuffer();
      },
      [names.agentFetchOnDemand]: async () => {
        const response = await onDemand.fetch(url, { scope: apiScope });
        accepted(response.status);
        return response.arrayBuffer();
      },
      [names.dispatcher]: async () => {
        const response = await request(url, { dispatcher: routed });
        accepted(response.statusCode);
        return response.body.arrayBuffer();
      },
      [names.agentFetch7]: async () => {
        const response = await agent7.fetch(url, { scope: apiScope });
        accepted(response.status);
        return response.arrayBuffer();
      },
      [names.dispatcher7]: async () => {
        const response = await request7(url, { dispatcher: routed7 as unknown as Agent7 });
        accepted(response.statusCode);
        return response.body.arrayBuffer();
      },
    },
    ratios,
  });
  await agent7.close();
  await agent.close();
  await onDemand.close();
  await dispatcher.close();
  await dispatcher7.close();
}

if (onlyPlacement === undefined || onlyPlacement === 'same-process') {
  const api = await startValidatingApi();
  try {
    await measure('API in the same process', api.origin);
    console.log(`The API's verdicts in this placement: ${JSON.stringify(api.verdicts)}\n`);
  } finally {
    await api.close();
  }
}
if (onlyPlacement === undefined || onlyPlacement === 'child-process') {
  const api = await inChildProcess();
  try {
    await measure('API in a child process', api.origin);
  } finally {
    await api.close();
  }
}
