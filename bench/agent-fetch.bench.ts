/**
 * `agent.fetch` against plain undici with static headers, on the same loopback server, one request
 * at a time. The server runs in a child process (its own CPU time is not billed to either side);
 * it also plays a minimal authorization server so the agent is created for real (discovery and
 * one token request), after which every `agent.fetch` pays what it always pays: a cache lookup, a
 * fresh DPoP proof (new jti, ath, nonce) and the headers.
 *
 * Target (issue 2): `agent.fetch` keeps at least 0.8x the request rate of a plain undici request with
 * static headers. Reported against undici's `fetch` (the same API and Response) and `request`
 * (undici's fastest API), plus `agent.dispatcher()` against `request`. Two more contenders split
 * the cost: undici `fetch` with a fresh proof from the same prover and nothing else (the floor of
 * any DPoP client: what the wrapper adds is the ratio of agent.fetch to it), and an agent with an
 * EdDSA DPoP key.
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

// The child: answers metadata and token requests like an authorization server, anything else with a small JSON body.
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
    response.writeHead(200, { 'content-type': 'application/json', 'dpop-nonce': 'nonce-1' });
    response.end('{"accounts":[{"id":"acc_operating","balance":250000}]}');
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;
const child = spawn(process.execPath, ['-e', serverSource], { stdio: ['ignore', 'pipe', 'inherit'] });
const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
const origin = `http://127.0.0.1:${chunk.toString().trim()}`;
const url = `${origin}/accounts?limit=10`;

try {
  // One connection pool for everyone, so no side gets warmer sockets.
  const dispatcher = new Agent({ keepAliveTimeout: 60_000 });
  const agent = await createAgent({
    issuer: origin,
    clientId: 'bench-agent',
    key: createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
    dispatcher,
  });
  const edAgent = await createAgent({
    issuer: origin,
    clientId: 'bench-agent-eddsa',
    key: createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
    dispatcher,
    dpop: { alg: 'EdDSA' },
  });
  await edAgent.getToken({ resource: origin });
  const routed = agent.dispatcher({ resource: origin });
  // The floor of any DPoP client: the same fetch with a fresh proof from the same kind of prover.
  const prover = createDpopProver(createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey));
  // Static headers of the same size as the agent's: a real token and a real proof, reused.
  const token = await agent.getToken({ resource: origin });
  const staticHeaders = { authorization: `DPoP ${token.accessToken}`, dpop: 'e'.repeat(560) };

  const fetchName = 'undici fetch, static headers';
  const requestName = 'undici request, static headers';
  const agentFetchName = 'agent.fetch (token cache, fresh DPoP proof)';
  const agentDispatcherName = 'undici request through agent.dispatcher()';
  const fetchProofName = 'undici fetch, fresh proof from createDpopProver';
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
      [agentFetchName]: async () => (await agent.fetch(url)).arrayBuffer(),
      [edAgentFetchName]: async () => (await edAgent.fetch(url)).arrayBuffer(),
      [agentDispatcherName]: async () => (await request(url, { dispatcher: routed })).body.arrayBuffer(),
    },
    ratios: [
      { label: 'agent.fetch rate / undici fetch rate', numerator: fetchName, denominator: agentFetchName, target: { min: 0.8 } },
      { label: 'agent.fetch rate / undici fetch with a fresh proof rate', numerator: fetchProofName, denominator: agentFetchName },
      { label: 'agent.fetch (EdDSA) rate / undici fetch rate', numerator: fetchName, denominator: edAgentFetchName, target: { min: 0.8 } },
      { label: 'agent.fetch rate / undici request rate', numerator: requestName, denominator: agentFetchName },
      { label: 'agent.dispatcher() rate / undici request rate', numerator: requestName, denominator: agentDispatcherName, target: { min: 0.8 } },
    ],
  });
  await agent.close();
  await edAgent.close();
  await dispatcher.close();
} finally {
  child.kill();
}
