import { ConfigurationError } from '../errors.js';

/** A request body that can be sent more than once. */
export type ReplayableBody = string | Uint8Array | ArrayBuffer | ArrayBufferView | URLSearchParams | Blob | FormData | null | undefined;

/**
 * Makes a fetch request body replayable, so a request refused with a DPoP nonce challenge can be
 * sent again. Strings, bytes, `URLSearchParams`, `Blob` and `FormData` are re-read by fetch on every
 * send and pass through untouched (fetch still derives their `Content-Type`); a `ReadableStream`
 * or other async iterable is read to the end into one `Uint8Array`.
 *
 * @see https://fetch.spec.whatwg.org/#concept-bodyinit-extract
 */
export async function toReplayableBody(body: unknown): Promise<ReplayableBody> {
  if (isReplayable(body)) return body;
  if (typeof body === 'object' && body !== null) {
    if (typeof (body as ReadableStream).getReader === 'function') return readStream(body as ReadableStream<Uint8Array>);
    if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      return readIterable(body as AsyncIterable<unknown>);
    }
  }
  throw new ConfigurationError(`unsupported request body type: ${describeType(body)}`);
}

/** True for bodies fetch can send again as they are. */
export function isReplayable(body: unknown): body is ReplayableBody {
  return (
    body === null ||
    body === undefined ||
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof URLSearchParams ||
    body instanceof Blob ||
    body instanceof FormData
  );
}

/**
 * True when an undici dispatch body can be dispatched again (it is not a stream or iterator that
 * the first attempt consumes).
 */
export function isReplayableDispatchBody(body: unknown): boolean {
  return body === null || body === undefined || typeof body === 'string' || body instanceof Uint8Array;
}

async function readStream(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(toBytes(value));
  }
  return concat(chunks);
}

async function readIterable(iterable: AsyncIterable<unknown>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of iterable) chunks.push(toBytes(chunk));
  return concat(chunks);
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new ConfigurationError(`request body streams must yield bytes or strings, not ${describeType(chunk)}`);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** What kind of value `value` is, for an error message (never the value itself: a body may be secret). */
function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}
