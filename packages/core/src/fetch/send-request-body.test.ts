import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendRequest } from './send-request.js';

// Bodies as sendRequest hands them on: whole when they arrived with the headers, streamed otherwise.
const large = 'x'.repeat(1_000_000);
let release: (() => void) | undefined;
const server = createServer((request, response) => {
  request.resume();
  if (request.url === '/json') return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"accounts":[{"id":"a"}]}');
  if (request.url === '/empty') return void response.writeHead(200).end();
  if (request.url === '/large') return void response.writeHead(200).end(large);
  // The first part now, the rest when the test says so.
  response.writeHead(200, { 'content-type': 'text/plain' });
  response.write('first;');
  release = () => response.end('second');
});
let base: URL;
const dispatcher = new Agent();
beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
afterAll(async () => {
  await dispatcher.close();
  server.close();
});

const get = (path: string) => sendRequest(new URL(path, base), { method: 'GET', headers: {}, dispatcher });

describe('sendRequest response bodies', () => {
  it('a small body: read once as JSON, then used', async () => {
    const response = await get('/json');
    expect(response.bodyUsed).toBe(false);
    expect(await response.json()).toEqual({ accounts: [{ id: 'a' }] });
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(TypeError);
  });

  it('a small body: its stream yields plain bytes that own their buffer, and a clone reads the same', async () => {
    const response = await get('/json');
    const copy = response.clone();
    const reader = response.body!.getReader();
    const chunks: Uint8Array[] = [];
    for (let part = await reader.read(); !part.done; part = await reader.read()) chunks.push(part.value);
    const bytes = Buffer.concat(chunks);
    expect(bytes.toString()).toBe('{"accounts":[{"id":"a"}]}');
    for (const chunk of chunks) expect(chunk.byteLength).toBe(chunk.buffer.byteLength);
    expect(await copy.text()).toBe('{"accounts":[{"id":"a"}]}');
  });

  it('a small body read as bytes is exactly the body: no status line, headers or other memory around it', async () => {
    const body = '{"accounts":[{"id":"a"}]}';
    const buffer = await (await get('/json')).arrayBuffer();
    expect(buffer.byteLength).toBe(body.length);
    expect(Buffer.from(buffer).toString()).toBe(body);
    const bytes = await (await get('/json')).bytes();
    expect(bytes.buffer.byteLength).toBe(body.length);
  });

  it('an empty body and a large one arrive intact', async () => {
    expect(new Uint8Array(await (await get('/empty')).arrayBuffer())).toHaveLength(0);
    expect(await (await get('/large')).text()).toBe(large);
  });

  it('a body still arriving is streamed: its first part can be read before the rest is sent', async () => {
    const response = await get('/slow');
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe('first;');
    release!();
    let rest = '';
    for (let part = await reader.read(); !part.done; part = await reader.read()) rest += Buffer.from(part.value).toString();
    expect(rest).toBe('second');
  });
});
