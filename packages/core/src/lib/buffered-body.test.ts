import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { takeBufferedBody } from './buffered-body.js';

const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString());

describe('takeBufferedBody', () => {
  it('takes every byte of a stream whose input ended, in order, and lets it end', async () => {
    const stream = new Readable({ read() {} });
    stream.push('{"a":');
    stream.push('1}');
    stream.push(null);
    expect(text(takeBufferedBody(stream))).toBe('{"a":1}');
    stream.resume();
    await once(stream, 'end');
  });

  it('gives an empty body for a stream that ended without data', () => {
    const stream = new Readable({ read() {} });
    stream.push(null);
    expect(takeBufferedBody(stream)).toEqual(new Uint8Array(0));
  });

  it('leaves a stream alone while more may come: the caller streams it', async () => {
    const stream = new PassThrough();
    stream.write('part');
    expect(takeBufferedBody(stream)).toBeUndefined();
    stream.end('-rest');
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('part-rest');
  });

  it('leaves object-mode, errored and destroyed streams alone', () => {
    const objects = new Readable({ objectMode: true, read() {} });
    objects.push({ a: 1 });
    objects.push(null);
    expect(takeBufferedBody(objects)).toBeUndefined();
    const failed = new Readable({ read() {} });
    failed.on('error', () => undefined);
    failed.destroy(new Error('reset'));
    expect(takeBufferedBody(failed)).toBeUndefined();
  });

  it('takes a small undici response body whole, and a slow one not at all', async () => {
    const server = createServer((incoming, response) => {
      if (incoming.url === '/slow') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.write('first');
        setTimeout(() => response.end('-second'), 50);
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"accounts":[]}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dispatcher = new Agent();
    try {
      // The body usually arrives with the headers; on a loaded machine it may not, then nothing is taken.
      const fast = await request(`${origin}/fast`, { dispatcher });
      const taken = takeBufferedBody(fast.body);
      expect(taken === undefined ? await fast.body.text() : text(taken)).toBe('{"accounts":[]}');
      const slow = await request(`${origin}/slow`, { dispatcher });
      expect(takeBufferedBody(slow.body)).toBeUndefined();
      expect(await slow.body.text()).toBe('first-second');
    } finally {
      await dispatcher.close();
      server.close();
    }
  });
});
