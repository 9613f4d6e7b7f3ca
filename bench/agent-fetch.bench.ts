/**
 * `agent.fetch` against plain undici with static headers, on the same loopback server, one request
 * at a time. The server runs in a child process (its own CPU time is not billed to either side);
 * it also plays a minimal authorization server so the agent is created for real (discovery and
 * one token request), after which every `agent.fetch` pays what it always pays: a cache lookup, a
 * fresh DPoP proof (new jti, ath, nonce) and the headers.
 *
 * Target (issue 2): `agent.fetch` keeps at least 0.8x the request rate of a plain undici request with
 * static headers. Reported against undici's `fetch` (the same API and Response) and `request`
 * (undici's fastest API), plus `agent.dispatcher()` against `request`.
 *
 * Run alone with `node --import tsx bench/agent-fetch.bench.ts`, or with the others via `pnpm bench`.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { Agent, fetch, request } from 'undici';
import { createAgent } from '../packages/core/src/agent.js';
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
  const routed = agent.dispatcher({ resource: origin });
  // Static headers of the same size as the agent's: a real token and a real proof, reused.
  const token = await agent.getToken({ resource: origin });
  const staticHeaders = { authorization: `DPoP ${token.accessToken}`, dpop: 'e'.repeat(560) };

  const fetchName = 'undici fetch, static headers';
  const requestName = 'undici request, static headers';
  const agentFetchName = 'agent.fetch (token cache, fresh DPoP proof)';
  const agentDispatcherName = 'undici request through agent.dispatcher()';
  await compare({
    title: 'agent.fetch against plain undici, sequential GETs to a loopback server',
    tasks: {
      [fetchName]: async () => (await fetch(url, { headers: staticHeaders, dispatcher })).arrayBuffer(),
      [requestName]: async () => (await request(url, { headers: staticHeaders, dispatcher })).body.arrayBuffer(),
      [agentFetchName]: async () => (await agent.fetch(url)).arrayBuffer(),
      [agentDispatcherName]: async () => (await request(url, { dispatcher: routed })).body.arrayBuffer(),
    },
    ratios: [
      { label: 'agent.fetch rate / undici fetch rate', numerator: fetchName, denominator: agentFetchName, target: { min: 0.8 } },
      { label: 'agent.fetch rate / undici request rate', numerator: requestName, denominator: agentFetchName },
      { label: 'agent.dispatcher() rate / undici request rate', numerator: requestName, denominator: agentDispatcherName, target: { min: 0.8 } },
    ],
  });
  await agent.close();
  await dispatcher.close();
} finally {
  child.kill();
}
