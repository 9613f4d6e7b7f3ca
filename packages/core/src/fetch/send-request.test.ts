import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { Agent, Response } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, NetworkError, ResponseError } from '../errors.js';
import { sendRequest } from './send-request.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const seen: Seen[] = [];
let base: URL;
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    seen.push({ method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
    route(request.url!, response);
  });
});

function route(path: string, response: ServerResponse): void {
  const text = 'hello, compressed world';
  if (path === '/gzip') return void response.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(text));
  if (path === '/deflate') return void response.writeHead(200, { 'content-encoding': 'deflate' }).end(deflateSync(text));
  if (path === '/br') return void response.writeHead(200, { 'content-encoding': 'br' }).end(brotliCompressSync(text));
  if (path === '/gzip-error') return void response.writeHead(500, { 'content-encoding': 'gzip' }).end(gzipSync('{"error":"x"}'));
  if (path === '/corrupt') return void response.writeHead(200, { 'content-encoding': 'gzip' }).end('not gzip at all');
  if (path === '/cookies') return void response.writeHead(200, [['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-one', 'y']]).end('ok');
  if (path === '/no-content') return void response.writeHead(204).end();
  if (path === '/reset') return void response.writeHead(205).end();
  if (path === '/redirect') return void response.writeHead(302, { location: '/elsewhere' }).end('moved');
  if (path === '/slow') return void setTimeout(() => response.writeHead(200).end('late'), 2_000);
  response.writeHead(200, { 'content-type': 'text/plain' }).end('plain');
}

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const at = (path: string) => new URL(path, base);
const last = () => seen[seen.length - 1]!;

describe('sendRequest', () => {
  it('answers with an undici Response carrying status, status text and headers', async () => {
    const response = await sendRequest(at('/plain'), { method: 'get', headers: { 'x-trace': '1' } });
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(200);
    expect(response.statusText).toBe('OK');
    expect(response.url).toBe(at('/plain').href);
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(await response.text()).toBe('plain');
    expect(last()).toMatchObject({ method: 'GET', headers: { 'x-trace': '1', accept: '*/*', 'accept-encoding': 'gzip, deflate' } });
  });

  it.each(['gzip', 'deflate', 'br'])('decodes a %s-encoded body as fetch does', async (coding) => {
    const response = await sendRequest(at(`/${coding}`), { method: 'GET', headers: {} });
    expect(response.headers.get('content-encoding')).toBe(coding);
    expect(await response.text()).toBe('hello, compressed world');
  });

  it('decodes an error response too, and rejects reading a body that does not decode', async () => {
    expect(await (await sendRequest(at('/gzip-error'), { method: 'GET', headers: {} })).json()).toEqual({ error: 'x' });
    const corrupt = await sendRequest(at('/corrupt'), { method: 'GET', headers: {} });
    await expect(corrupt.text()).rejects.toThrow();
  });

  it('keeps every value of a repeated response header', async () => {
    const response = await sendRequest(at('/cookies'), { method: 'GET', headers: {} });
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(response.headers.get('x-one')).toBe('y');
  });

  it('gives a null body to a null-body status and to HEAD', async () => {
    expect((await sendRequest(at('/no-content'), { method: 'POST', headers: {}, body: 'x' })).body).toBeNull();
    expect((await sendRequest(at('/reset'), { method: 'GET', headers: {} })).body).toBeNull();
    const head = await sendRequest(at('/plain'), { method: 'HEAD', headers: {} });
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it('sets the Content-Type fetch derives from a body, unless the caller gave one', async () => {
    await sendRequest(at('/echo'), { method: 'POST', headers: {}, body: 'text' });
    expect(last()).toMatchObject({ body: 'text', headers: { 'content-type': 'text/plain;charset=UTF-8' } });
    await sendRequest(at('/echo'), { method: 'POST', headers: {}, body: new URLSearchParams({ a: '1', b: 'x y' }) });
    expect(last()).toMatchObject({ body: 'a=1&b=x+y', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' } });
    await sendRequest(at('/echo'), { method: 'POST', headers: {}, body: new Blob(['{}'], { type: 'application/json' }) });
    expect(last()).toMatchObject({ body: '{}', headers: { 'content-type': 'application/json' } });
    const form = new FormData();
    form.append('field', 'value');
    await sendRequest(at('/echo'), { method: 'POST', headers: {}, body: form });
    expect(last().headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(last().body).toContain('name="field"');
    await sendRequest(at('/echo'), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: new TextEncoder().encode('[1]') });
    expect(last()).toMatchObject({ method: 'PUT', body: '[1]', headers: { 'content-type': 'application/json' } });
  });

  it('refuses what fetch refuses, with ConfigurationError and nothing sent: a body on GET, a forbidden method', async () => {
    const sent = seen.length;
    await expect(sendRequest(at('/echo'), { method: 'GET', headers: {}, body: 'x' })).rejects.toSatisfy(
      (error) => ConfigurationError.isInstance(error) && error.message === 'a GET request cannot have a body',
    );
    await expect(sendRequest(at('/echo'), { method: 'TRACE', headers: {} })).rejects.toSatisfy(
      (error) => ConfigurationError.isInstance(error) && error.message === 'the TRACE HTTP method is not supported (fetch forbids it)',
    );
    expect(seen.length).toBe(sent);
  });

  it('returns a redirect as it is, and rejects it with redirect: error', async () => {
    const response = await sendRequest(at('/redirect'), { method: 'GET', headers: {} });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/elsewhere');
    const error = (await sendRequest(at('/redirect'), { method: 'GET', headers: {}, redirect: 'error' }).catch((caught: unknown) => caught)) as ResponseError;
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.code).toBe('ERR_RESPONSE');
    expect(error.status).toBe(302);
    expect(error.message).toBe(`unexpected redirect (HTTP 302) from ${at('/').origin} with redirect: 'error'`);
  });

  it('rejects a network failure with NetworkError ("fetch failed") and its cause', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = (await sendRequest(new URL(`http://127.0.0.1:${port}/`), { method: 'GET', headers: {} }).catch((caught: unknown) => caught)) as NetworkError;
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.code).toBe('ERR_NETWORK');
    expect(error.message).toBe(`fetch failed: http://127.0.0.1:${port}`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('rejects with the signal reason, before sending and while waiting', async () => {
    const before = new AbortController();
    before.abort(new Error('gave up early'));
    await expect(sendRequest(at('/plain'), { method: 'GET', headers: {}, signal: before.signal })).rejects.toThrow('gave up early');
    const during = new AbortController();
    const pending = sendRequest(at('/slow'), { method: 'GET', headers: {}, signal: during.signal });
    setTimeout(() => during.abort(new Error('gave up waiting')), 50);
    await expect(pending).rejects.toThrow('gave up waiting');
    const plain = new AbortController();
    const aborted = sendRequest(at('/slow'), { method: 'GET', headers: {}, signal: plain.signal });
    setTimeout(() => plain.abort(), 50);
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('sends through the given dispatcher', async () => {
    let dispatched = 0;
    const agent = new Agent();
    const counting = agent.compose((dispatch) => (options, handler) => {
      dispatched++;
      return dispatch(options, handler);
    });
    expect(await (await sendRequest(at('/plain'), { method: 'GET', headers: {}, dispatcher: counting })).text()).toBe('plain');
    expect(dispatched).toBe(1);
    await agent.close();
  });
});
