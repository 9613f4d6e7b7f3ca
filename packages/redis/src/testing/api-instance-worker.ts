/**
 * One instance of a tool API for the multi-process replay test: @countersign/server with the
 * Redis replay store, behind a plain Node http server on a free loopback port. Configured by the
 * COUNTERSIGN_API_INSTANCE environment variable (JSON); prints `{ "event": "listening", "port" }`.
 */
import { createServer } from 'node:http';
import { createResourceServer, protectNode } from '@countersign/server';
import { redisReplayStore } from '../index.js';

interface InstanceConfig {
  issuer: string;
  resource: string;
  redisUrl: string;
  keyPrefix: string;
}

const config = JSON.parse(process.env.COUNTERSIGN_API_INSTANCE ?? '{}') as InstanceConfig;
const replay = redisReplayStore({ url: config.redisUrl, keyPrefix: config.keyPrefix });
const rs = await createResourceServer({ issuer: config.issuer, resource: config.resource, replay });
const server = createServer(
  protectNode(rs, { scope: 'accounts:read' }, (_request, response, verdict) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ clientId: verdict.agent.clientId, instance: process.pid }));
  }),
);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ event: 'listening', port: (server.address() as { port: number }).port })}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => {
  server.close();
  void replay.close();
});
