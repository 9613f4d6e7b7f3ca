/**
 * `agent.fetch` against plain undici with static headers, on the same loopback server, one request
 * at a time. The server runs in a child process (its own CPU time is not billed to either side);
 * it also plays a minimal authorization server so the agent is created for real (discovery and
 * one token request), after which every `agent.fetch` pays what it always pays: a cache lookup, a
 * fresh DPoP proof (new jti, ath, nonce) and the headers.
 *
 * Agents sign the next proof ahead of time while a response is awaited (`dpop.presign`, on by
 * default); the same agent with `dpop: { presign: false }` signs every proof on demand, so both
 * are measured.
 *
 * Target (issue 2): `agent.fetch` keeps at least 0.8x the request rate of a plain undici request with
 * static headers. Reported against undici's `fetch` (the same API and Response) and `request`
 * (undici's fastest API), plus `agent.dispatcher()` against `request`. Three more contenders split
 * the cost: undici `fetch` with a fresh proof from the same prover and nothing else (the floor of
 * any DPoP client that signs on demand), the same with the next proof signed in `setImmediate`
 * right after the request is handed to undici (the floor of any client that signs ahead; what the
 * wrapper adds is the ratio of agent.fetch to these), and an agent with an EdDSA DPoP key. A second,
 * shorter comparison repeats static headers against agent.fetch with and without signing ahead
 * against a server that answers after 1 ms, to show what signing ahead does when the thread has
 * time to spare.
 *
 * Run alone with `node --import tsx bench/agent-fetch.bench.ts`, or with the others via `pnpm bench`.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { Agent, fetch, request } from 'undici';
import { createAgent } from '../packages/core/src/agent.js';
import { createDpopProver } from '../packages/core/src/dpop/proof.js';
import { createNodeSigner } from '../packages/core/src/keys/node-signer.js';
import { compare } from './support/side-by-side.js';

// The child: answers metadata and token requests like an authorization server, anything else with a
// small JSON body: at once, or after a 1 ms timer for paths under /slow (the server waits, idle).
const serverSource = `
const http = require('node:http');
const server = http.createServer((request, response) => {
  const url = 'http://127.0.0.1:' + server.address().port;
  request.resume();
  request.on('end', () => {
    if (request.url === '/.well-known/oauth-authorization-server') {
      response.writeHead(200, { 'content-type': 'application/json' });
      return response.end(JSON.stringify({ issuer: url, token_endpoint: url + '/token' }));
    }
    if (request.url === '/token') {
      response.writeHead(200, { 'content-type': 'application/json', 'dpop-nonce': 'nonce-1' });
      return response.end(JSON.stringify({ access_token: 'x'.repeat(800), token_type: 'DPoP', expires_in: 3600 }));
    }
    const answer = () => {
      response.writeHead(200, { 'content-type': 'application/json', 'dpop-nonce': 'nonce-1' });
      response.end('{"accounts":[{"id":"acc_operating","balance":250000}]}');
    };
    if (request.url.startsWith('/slow')) setTimeout(answer, 1);
    else answer();
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;
const child = spawn(process.execPath, ['-e', serverSource], { stdio: ['ignore', 'pipe', 'inherit'] });
const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
const origin = `http://127.0.0.1:${chunk.toString().trim()}`;
const url = `${origin}/accounts?limit=10`;
const slowUrl = `${origin}/slow/accounts?limit=10`;

try {
  // One connection pool for everyone, so no side gets warmer sockets.
  const dispatcher = new Agent({ keepAliveTimeout: 60_000 });
  const agent = await createAgent({
    issuer: origin,
    clientId: 'bench-agent',
    key: createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
    dispatcher,
  });
  const onDemandAgent = await createAgent({
    issuer: origin,
    clientId: 'bench-agent-on-demand',
    key: createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
    dispatcher,
    dpop: { presign: false },
  });
  await onDemandAgent.getToken({ resource: origin });
  const edAgent = await createAgent({
    issuer: origin,
    clientId: 'bench-agent-eddsa',
    key: createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
    dispatcher,
    dpop: { alg: 'EdDSA' },
  });
  await edAgent.getToken({ resource: origin });
  const routed = agent.dispatcher({ resource: origin });
  const onDemandRouted = onDemandAgent.dispatcher({ resource: origin });
  // The floor of any DPoP client: the same fetch with a fresh proof from the same kind of prover.
  const prover = createDpopProver(createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey));
  // Static headers of the same size as the agent's: a real token and a real proof, reused.
  const token = await agent.getToken({ resource: origin });
  const staticHeaders = { authorization: `DPoP ${token.accessToken}`, dpop: 'e'.repeat(560) };
  let nextProof = prover.proof({ method: 'GET', url, accessToken: token.accessToken, nonce: 'nonce-1' }) as string;

  const fetchName = 'undici fetch, static headers';
  const requestName = 'undici request, static headers';
  const agentFetchName = 'agent.fetch (presign on, the default)';
  const onDemandFetchName = 'agent.fetch, presign off';
  const agentDispatcherName = 'undici request through agent.dispatcher() (presign on)';
  const onDemandDispatcherName = 'undici request through agent.dispatcher(), presign off';
  const fetchProofName = 'undici fetch, fresh proof from createDpopProver';
  const fetchAheadName = 'undici fetch, next proof signed ahead in setImmediate';
  const edAgentFetchName = 'agent.fetch, EdDSA DPoP key';
  await compare({
    title: 'agent.fetch against plain undici, sequential GETs to a loopback server',
    tasks: {
      [fetchName]: async () => (await fetch(url, { headers: staticHeaders, dispatcher })).arrayBuffer(),
      [requestName]: async () => (await request(url, { headers: staticHeaders, dispatcher })).body.arrayBuffer(),
      [fetchProofName]: async () => {
        const proof = prover.proof({ method: 'GET', url, accessToken: token.accessToken, nonce: 'nonce-1' }) as string;
        return (await fetch(url, { headers: { authorization: staticHeaders.authorization, dpop: proof }, dispatcher })).arrayBuffer();
      },
      [fetchAheadName]: async () => {
        const pending = fetch(url, { headers: { authorization: staticHeaders.authorization, dpop: nextProof }, dispatcher });
        setImmediate(() => (nextProof = prover.proof({ method: 'GET', url, accessToken: token.accessToken, nonce: 'nonce-1' }) as string));
        return (await pending).arrayBuffer();
      },
      [agentFetchName]: async () => (await agent.fetch(url)).arrayBuffer(),
      [onDemandFetchName]: async () => (await onDemandAgent.fetch(url)).arrayBuffer(),
      [edAgentFetchName]: async () => (await edAgent.fetch(url)).arrayBuffer(),
      [agentDispatcherName]: async () => (await request(url, { dispatcher: routed })).body.arrayBuffer(),
      [onDemandDispatcherName]: async () => (await request(url, { dispatcher: onDemandRouted })).body.arrayBuffer(),
    },
    ratios: [
      { label: 'agent.fetch rate / undici fetch rate', numerator: fetchName, denominator: agentFetchName, target: { min: 0.8 } },
      { label: 'agent.fetch (presign off) rate / undici fetch rate', numerator: fetchName, denominator: onDemandFetchName, target: { min: 0.8 } },
      { label: 'agent.fetch rate / agent.fetch (presign off) rate', numerator: onDemandFetchName, denominator: agentFetchName },
      { label: 'agent.fetch rate / undici fetch with a fresh proof rate', numerator: fetchProofName, denominator: agentFetchName },
      { label: 'agent.fetch (presign off) rate / undici fetch with a fresh proof rate', numerator: fetchProofName, denominator: onDemandFetchName },
      { label: 'undici fetch with the next proof signed ahead rate / undici fetch rate', numerator: fetchName, denominator: fetchAheadName },
      { label: 'agent.fetch rate / undici fetch with the next proof signed ahead rate', numerator: fetchAheadName, denominator: agentFetchName },
      { label: 'agent.fetch (EdDSA) rate / undici fetch rate', numerator: fetchName, denominator: edAgentFetchName, target: { min: 0.8 } },
      { label: 'agent.fetch rate / undici request rate', numerator: requestName, denominator: agentFetchName },
      { label: 'agent.dispatcher() rate / undici request rate', numerator: requestName, denominator: agentDispatcherName, target: { min: 0.8 } },
      { label: 'agent.dispatcher() (presign off) rate / undici request rate', numerator: requestName, denominator: onDemandDispatcherName, target: { min: 0.8 } },
    ],
  });
  // When the server takes a while (here a 1 ms timer, less than most network round trips), the
  // thread is idle long enough to sign the next proof unseen.
  await compare({
    title: 'the same against a server that answers after 1 ms',
    tasks: {
      [fetchName]: async () => (await fetch(slowUrl, { headers: staticHeaders, dispatcher })).arrayBuffer(),
      [agentFetchName]: async () => (await agent.fetch(slowUrl)).arrayBuffer(),
      [onDemandFetchName]: async () => (await onDemandAgent.fetch(slowUrl)).arrayBuffer(),
    },
    ratios: [
      { label: 'agent.fetch rate / undici fetch rate', numerator: fetchName, denominator: agentFetchName },
      { label: 'agent.fetch (presign off) rate / undici fetch rate', numerator: fetchName, denominator: onDemandFetchName },
      { label: 'agent.fetch rate / agent.fetch (presign off) rate', numerator: onDemandFetchName, denominator: agentFetchName },
    ],
  });
  await agent.close();
  await onDemandAgent.close();
  await edAgent.close();
  await dispatcher.close();
} finally {
  child.kill();
}
