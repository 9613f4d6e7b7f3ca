import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { isReplayable, isReplayableDispatchBody, toReplayableBody } from './replayable-body.js';

describe('toReplayableBody', () => {
  it('passes bodies fetch can re-send untouched', async () => {
    for (const body of ['text', new Uint8Array([1]), new URLSearchParams('a=b'), new Blob(['x']), new FormData(), null, undefined]) {
      expect(await toReplayableBody(body)).toBe(body);
    }
  });
  it('buffers a ReadableStream', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('hello '));
        controller.enqueue(new TextEncoder().encode('world'));
        controller.close();
      },
    });
    const body = await toReplayableBody(stream);
    expect(Buffer.from(body as Uint8Array).toString()).toBe('hello world');
    expect(isReplayable(body)).toBe(true);
  });
  it('buffers a Node stream of strings and bytes', async () => {
    const body = await toReplayableBody(Readable.from(['a', Buffer.from('b')]));
    expect(Buffer.from(body as Uint8Array).toString()).toBe('ab');
  });
  it('refuses other types', async () => {
    await expect(toReplayableBody(42)).rejects.toThrow(ConfigurationError);
    await expect(toReplayableBody(42)).rejects.toThrow('unsupported request body type: number');
  });
});

describe('isReplayableDispatchBody', () => {
  it('accepts no body, strings and bytes only', () => {
    expect(isReplayableDispatchBody(undefined)).toBe(true);
    expect(isReplayableDispatchBody('x')).toBe(true);
    expect(isReplayableDispatchBody(Buffer.from('x'))).toBe(true);
    expect(isReplayableDispatchBody(Readable.from(['x']))).toBe(false);
    expect(isReplayableDispatchBody((async function* () {})())).toBe(false);
  });
});
