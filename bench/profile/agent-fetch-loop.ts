/**
 * A loop to profile: `PROFILE_CLIENT=agent|minimal|dispatcher|on-demand` sends `PROFILE_REQUESTS`
 * sequential GETs to the validating API (bench/support/validating-api.ts) in a child process, so
 * the profile holds the client's work only.
 *
 *   pnpm exec node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile/agent-fetch-loop.ts
 *   pnpm exec tsx bench/profile/summarize-cpu-profile.ts /tmp/prof/<file>.cpuprofile
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { createAgent } from '../../packages/core/src/agent.js';
import { createNodeSigner } from '../../packages/core/src/keys/node-signer.js';
import { createMinimalDpopClient, type RequestFunction } from '../support/minimal-dpop-client.js';
import { apiScope, startValidatingApi } from '../support/validating-api.js';

const client = process.env.PROFILE_CLIENT ?? 'agent';
const count = Number(process.env.PROFILE_REQUESTS ?? 20_000);
const sameProcess = process.env.PROFILE_PLACEMENT === 'same-process';

let origin: string;
let stop: () => Promise<unknown>;
if (sameProcess) {
  const api = await startValidatingApi();
  origin = api.origin;
  stop = () => api.close();
} else {
  const script = fileURLToPath(new URL('../support/validating-api-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  origin = chunk.toString().trim();
  stop = async () => {
    child.stdin!.end();
    await once(child, 'exit');
  };
}
const url = `${origin}/accounts?limit=10`;
const dispatcher = new Agent({ keepAliveTimeout: 600_000 });
const agent = await createAgent({
  issuer: origin,
  clientId: 'profile-agent',
  key: createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
  dispatcher,
  dpop: { presign: client !== 'on-demand' },
});
const routed = agent.dispatcher({ resource: origin, scope: apiScope });
const minimal = await createMinimalDpopClient(request as unknown as RequestFunction, dispatcher, `${origin}/token`);

const once_ = {
  agent: async () => (await agent.fetch(url, { scope: apiScope })).arrayBuffer(),
  'on-demand': async () => (await agent.fetch(url, { scope: apiScope })).arrayBuffer(),
  dispatcher: async () => (await request(url, { dispatcher: routed })).body.arrayBuffer(),
  minimal: () => minimal.get(url),
}[client];
if (once_ === undefined) throw new Error(`unknown PROFILE_CLIENT ${client}`);
const started = performance.now();
for (let index = 0; index < count; index++) await once_();
const elapsed = performance.now() - started;
console.log(`${client}: ${count} requests, ${((elapsed * 1000) / count).toFixed(1)} µs each`);
await agent.close();
await dispatcher.close();
await stop();
