import { Response } from 'undici';
import { describe, expect, it } from 'vitest';
import { BufferedResponse, withUrl } from './buffered-response.js';

const utf8 = new TextEncoder();
/** `text` as bytes viewing the middle of a larger buffer, as a socket's pooled chunk does. */
function pooled(text: string): Uint8Array {
  const body = utf8.encode(text);
  const pool = new Uint8Array(body.byteLength + 20).fill(0x41);
  pool.set(body, 10);
  return pool.subarray(10, 10 + body.byteLength);
}
const make = (text: string) => {
  const response = new BufferedResponse(pooled(text), { status: 201, statusText: 'Created' });
  response.headers.append('content-type', 'application/json');
  return withUrl(response, 'http://127.0.0.1/x');
};

describe('BufferedResponse', () => {
  it('is a Response with the status, headers and url it was given', () => {
    const response = make('{}');
    expect(response).toBeInstanceOf(Response);
    expect([response.status, response.statusText, response.ok, response.url]).toEqual([201, 'Created', true, 'http://127.0.0.1/x']);
    expect(response.headers.get('content-type')).toBe('application/json');
  });

  it.each([
    ['arrayBuffer', async (r: Response) => new TextDecoder().decode(await r.arrayBuffer())],
    ['bytes', async (r: Response) => new TextDecoder().decode(await r.bytes())],
    ['text', (r: Response) => r.text()],
    ['json', async (r: Response) => JSON.stringify(await r.json())],
    ['blob', async (r: Response) => (await r.blob()).text()],
    ['body', async (r: Response) => new Response(r.body).text()],
  ] as const)('%s reads the body once; a second read rejects with TypeError', async (_, read) => {
    const response = make('{"a":"é"}');
    expect(response.bodyUsed).toBe(false);
    expect(await read(response)).toBe('{"a":"é"}');
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(TypeError);
    await expect(response.arrayBuffer()).rejects.toThrow(TypeError);
    expect(() => response.clone()).toThrow(TypeError);
  });

  it('hands out only its own bytes, never the buffer around them', async () => {
    expect((await make('abc').arrayBuffer()).byteLength).toBe(3);
    const bytes = await make('abc').bytes();
    expect(bytes.buffer.byteLength).toBe(3);
    const reader = make('abc').body!.getReader();
    const { value } = await reader.read();
    expect(value!.buffer.byteLength).toBe(3);
    expect((await reader.read()).done).toBe(true);
  });

  it('built from a Buffer viewing a larger pooled buffer (a socket chunk), hands out none of the rest', async () => {
    // Buffer#slice and #subarray share memory: the response must copy, whatever it is given.
    const pool = Buffer.from('HTTP/1.1 200 OK\r\nset-cookie: secret\r\n\r\n{"ok":true}AFTER-SECRET');
    const start = pool.indexOf('{');
    const view = pool.subarray(start, start + '{"ok":true}'.length);
    const response = new BufferedResponse(view, { status: 200 });
    const copy = response.clone();
    const buffer = await response.arrayBuffer();
    expect(buffer.byteLength).toBe(11);
    expect(Buffer.from(buffer).toString()).toBe('{"ok":true}');
    new Uint8Array(buffer).fill(0x21);
    const bytes = await copy.bytes();
    expect(bytes.buffer.byteLength).toBe(11);
    expect(Buffer.from(bytes).toString()).toBe('{"ok":true}');
    const streamed = new BufferedResponse(view, { status: 200 }).body!.getReader();
    const { value } = await streamed.read();
    expect(value!.buffer.byteLength).toBe(11);
    view.fill(0x3f);
    expect(pool.toString()).toContain('AFTER-SECRET');
  });

  it('text() drops a leading BOM; json() rejects bad JSON with SyntaxError', async () => {
    expect(await make('\uFEFFhi').text()).toBe('hi');
    await expect(make('{').json()).rejects.toThrow(SyntaxError);
  });

  it('a clone reads the same bytes, before or after the stream was asked for', async () => {
    const first = make('one');
    const copy = first.clone();
    expect(copy).toBeInstanceOf(Response);
    expect([copy.status, copy.url, copy.headers.get('content-type')]).toEqual([201, 'http://127.0.0.1/x', 'application/json']);
    expect(await copy.text()).toBe('one');
    expect(await first.text()).toBe('one');
    const second = make('two');
    expect(second.body).not.toBeNull();
    const copy2 = second.clone();
    expect(await second.text()).toBe('two');
    expect(await copy2.text()).toBe('two');
  });

  it('an empty body reads as empty, and its stream ends at once', async () => {
    const empty = new BufferedResponse(new Uint8Array(0), { status: 200 });
    expect(await empty.text()).toBe('');
    const reader = new BufferedResponse(new Uint8Array(0), { status: 200 }).body!.getReader();
    expect((await reader.read()).done).toBe(true);
  });
});
