/**
 * Where agent.fetch's CPU goes, client side only: the validating API runs in a child process, and
 * each contender adds one piece of agent.fetch to the minimal client, in alternating blocks of 100
 * requests; CPU time per request comes from process.cpuUsage (time slices lost to other processes
 * on a shared machine do not count) and is reported as the median of per-block ratios to the
 * minimal client in the same block round.
 *
 *   pnpm exec tsx bench/profile/decompose-agent-fetch.ts [blocks]
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Agent, request, Response } from 'undici';
import { createAgent } from '../../packages/core/src/agent.js';
import { createDpopProver } from '../../packages/core/src/dpop/proof.js';
import { sendRequest } from '../../packages/core/src/fetch/send-request.js';
import { createNodeSigner } from '../../packages/core/src/keys/node-signer.js';
import { createMinimalDpopClient, type RequestFunction } from '../support/minimal-dpop-client.js';
import { apiScope } from '../support/validating-api.js';

const blocks = Number(process.argv[2] ?? 30);
const script = fileURLToPath(new URL('../support/validating-api-child.ts', import.meta.url));
const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
const origin = chunk.toString().trim();
const url = `${origin}/accounts?limit=10`;
const htu = `${origin}/accounts`;
const dispatcher = new Agent({ keepAliveTimeout: 600_000 });
const agent = await createAgent({
  issuer: origin,
  clientId: 'decompose',
  key: createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
  dispatcher,
  dpop: { presign: false },
});
const routed = agent.dispatcher({ resource: origin, scope: apiScope });
const minimal = await createMinimalDpopClient(request as unknown as RequestFunction, dispatcher, `${origin}/token`);
await minimal.get(url);
// Core's prover with a token bound to its key, and the API's nonce.
const prover = createDpopProver(createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey));
const tokenResponse = await request(`${origin}/token`, { method: 'POST', headers: { dpop: prover.proof({ method: 'POST', url: `${origin}/token` }) as string }, body: 'grant_type=client_credentials', dispatcher });
const token = ((await tokenResponse.body.json()) as { access_token: string }).access_token;
const nonce = (await agent.fetch(url, { scope: apiScope })).headers.get('dpop-nonce')!;
const urlObject = new URL(url);
const json = { 'content-type': 'application/json' };
const accepted = (status: number) => {
  if (status !== 200) throw new Error(`the API refused a request: ${status}`);
};

const contenders: Record<string, () => Promise<unknown>> = {
  'minimal client': () => minimal.get(url),
  'minimal + new Response(null, { headers })': async () => (await minimal.get(url), new Response(null, { status: 200, headers: json })),
  'minimal + Response(bytes).arrayBuffer()': async () => new Response(new Uint8Array(await minimal.get(url)), { status: 200, headers: json }).arrayBuffer(),
  'minimal + Response(filled stream).arrayBuffer()': async () => {
    const bytes = new Uint8Array(await minimal.get(url));
    const stream = new ReadableStream({ start: (controller) => (controller.enqueue(bytes), controller.close()) });
    return new Response(stream as unknown as ConstructorParameters<typeof Response>[0], { status: 200, headers: json }).arrayBuffer();
  },
  'core prover + undici request': async () => {
    const response = await request(url, { headers: { authorization: `DPoP ${token}`, dpop: prover.proof({ method: 'GET', url: htu, accessToken: token, nonce }) as string }, dispatcher });
    accepted(response.statusCode);
    return response.body.arrayBuffer();
  },
  'core prover + sendRequest (Response)': async () => {
    const response = await sendRequest(urlObject, { method: 'GET', headers: { authorization: `DPoP ${token}`, dpop: prover.proof({ method: 'GET', url: htu, accessToken: token, nonce }) as string }, dispatcher });
    accepted(response.status);
    return response.arrayBuffer();
  },
  'agent.fetch, presign off': async () => {
    const response = await agent.fetch(url, { scope: apiScope });
    accepted(response.status);
    return response.arrayBuffer();
  },
  'agent.dispatcher(), presign off': async () => {
    const response = await request(url, { dispatcher: routed });
    accepted(response.statusCode);
    return response.body.arrayBuffer();
  },
};

const names = Object.keys(contenders);
const samples = new Map(names.map((name) => [name, [] as number[]]));
for (const run of Object.values(contenders)) for (let index = 0; index < 200; index++) await run();
for (let block = 0; block < blocks; block++) {
  for (let turn = 0; turn < names.length; turn++) {
    const name = names[(turn + block) % names.length]!;
    const run = contenders[name]!;
    for (let index = 0; index < 10; index++) await run();
    const before = process.cpuUsage();
    for (let index = 0; index < 100; index++) await run();
    const used = process.cpuUsage(before);
    samples.get(name)!.push((used.user + used.system) / 100);
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const base = samples.get('minimal client')!;
console.log('| client side of one request | CPU µs (median) | x the minimal client (median of per-block ratios) |\n| --- | ---: | ---: |');
for (const [name, values] of samples) {
  console.log(`| ${name} | ${median(values).toFixed(1)} | ${median(values.map((value, index) => value / base[index]!)).toFixed(2)}x |`);
}
await agent.close();
await dispatcher.close();
child.stdin!.end();
await once(child, 'exit');
