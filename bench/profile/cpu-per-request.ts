/**
 * CPU time per request (process.cpuUsage, so time slices lost to other processes on a shared
 * machine do not count) of each client against the validating API in this same process, in
 * alternating blocks; prints the median per client. A development aid for the agent.fetch hot
 * path; the reported numbers come from bench/agent-fetch-validating-api.bench.ts.
 *
 *   pnpm exec tsx bench/profile/cpu-per-request.ts [blocks] [requests per block]
 *
 * With `PROFILE_PLACEMENT=child-process` the API runs in a child process and only the client's
 * CPU time is counted.
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

const blocks = Number(process.argv[2] ?? 40);
const perBlock = Number(process.argv[3] ?? 100);
const api =
  process.env.PROFILE_PLACEMENT === 'child-process'
    ? await (async () => {
        const script = fileURLToPath(new URL('../support/validating-api-child.ts', import.meta.url));
        const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
        const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
        return {
          origin: chunk.toString().trim(),
          verdicts: 'counted in the child',
          close: async () => {
            child.stdin!.end();
            await once(child, 'exit');
          },
        };
      })()
    : await startValidatingApi();
const url = `${api.origin}/accounts?limit=10`;
const dispatcher = new Agent({ keepAliveTimeout: 600_000 });
const newAgent = (presign: boolean) =>
  createAgent({ issuer: api.origin, clientId: 'cpu', key: createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey), dispatcher, dpop: { presign } });
const agent = await newAgent(true);
const onDemand = await newAgent(false);
const routed = agent.dispatcher({ resource: api.origin, scope: apiScope });
const minimal = await createMinimalDpopClient(request as unknown as RequestFunction, dispatcher, `${api.origin}/token`);
await minimal.get(url);
const staticHeaders = { authorization: `DPoP ${minimal.accessToken}`, dpop: await minimal.proof('GET', url) };

const clients: Record<string, () => Promise<unknown>> = {
  'static headers': async () => (await request(url, { headers: staticHeaders, dispatcher })).body.arrayBuffer(),
  minimal: () => minimal.get(url),
  'agent.fetch': async () => (await agent.fetch(url, { scope: apiScope })).arrayBuffer(),
  'agent.fetch presign off': async () => (await onDemand.fetch(url, { scope: apiScope })).arrayBuffer(),
  'agent.dispatcher()': async () => (await request(url, { dispatcher: routed })).body.arrayBuffer(),
};
const names = Object.keys(clients);
const samples = new Map(names.map((name) => [name, [] as number[]]));
for (const run of Object.values(clients)) for (let index = 0; index < 200; index++) await run();
for (let block = 0; block < blocks; block++) {
  // A rotated order, so no client always follows the same one.
  for (let turn = 0; turn < names.length; turn++) {
    const name = names[(turn + block) % names.length]!;
    const run = clients[name]!;
    for (let index = 0; index < 10; index++) await run();
    const before = process.cpuUsage();
    for (let index = 0; index < perBlock; index++) await run();
    const used = process.cpuUsage(before);
    samples.get(name)!.push((used.user + used.system) / perBlock);
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const minimalSamples = samples.get('minimal')!;
for (const [name, values] of samples) {
  const ratio = median(values.map((value, index) => value / minimalSamples[index]!));
  console.log(`${name.padEnd(26)} ${median(values).toFixed(1).padStart(7)} µs CPU/request; per-block median ${ratio.toFixed(2)}x minimal's CPU`);
}
console.log('verdicts', api.verdicts);
await agent.close();
await onDemand.close();
await dispatcher.close();
await api.close();
