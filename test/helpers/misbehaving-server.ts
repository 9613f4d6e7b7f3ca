/**
 * A tiny real HTTP server on 127.0.0.1 (port 0) that plays a misbehaving authorization server:
 * each request to a path is answered by a scripted handler (slow, 5xx, 429, malformed, a wrong
 * issuer, a Bearer token…). Real sockets, no mocks.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MisbehavingServer {
  url: string;
  /** Requests seen, by path. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

export type Route = (request: IncomingMessage, response: ServerResponse, body: string, hit: number) => void;

export async function startMisbehavingServer(routes: (url: string) => Record<string, Route>): Promise<MisbehavingServer> {
  const hits = new Map<string, number>();
  let table: Record<string, Route> = {};
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = new URL(request.url!, 'http://x').pathname;
      const hit = (hits.get(path) ?? 0) + 1;
      hits.set(path, hit);
      const route = table[path];
      if (!route) {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end('{"error":"not_found"}');
        return;
      }
      route(request, response, Buffer.concat(chunks).toString(), hit);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  table = routes(url);
  return {
    url,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Metadata of a server at `url` with the usual endpoints. */
export function metadataFor(url: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { issuer: url, token_endpoint: `${url}/token`, revocation_endpoint: `${url}/token/revocation`, ...overrides };
}

export function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
}
