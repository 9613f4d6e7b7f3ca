import type { Readable } from 'node:stream';

/** What a Node `Readable` keeps internally; read only to learn whether its input has ended. */
interface ReadableStateView {
  ended?: boolean;
  errored?: unknown;
  objectMode?: boolean;
}

/**
 * The whole body of a response stream when every byte of it has already arrived, taken out of the
 * stream; `undefined` (the stream untouched) otherwise.
 *
 * A small answer usually reaches the client in the same TCP segment as its headers, so by the time
 * undici hands over the response its body stream has ended with all bytes buffered. A WHATWG
 * `Response` built from those bytes behaves as one built from the stream (same bytes, same
 * `body` stream, same single use), and costs less: no async iterator and no promise per chunk.
 *
 * Whether the input ended is read from the stream's internal state (`_readableState.ended`: no
 * public flag says "no more data will come" before `end` is emitted); a stream without that state,
 * in object mode, errored or destroyed is left alone, so the caller streams it as before.
 *
 * @example
 * ```ts
 * const bytes = takeBufferedBody(response.body);
 * const body = bytes ?? response.body;
 * ```
 * @see https://nodejs.org/api/stream.html#readablereadablelength
 * @see https://fetch.spec.whatwg.org/#concept-bodyinit-extract
 */
export function takeBufferedBody(stream: Readable): Uint8Array | undefined {
  const state = (stream as unknown as { _readableState?: ReadableStateView })._readableState;
  if (state === undefined || state.ended !== true || state.objectMode === true || state.errored != null || stream.destroyed) return undefined;
  const length = stream.readableLength;
  // In non-object mode, `read()` on a stream whose input ended returns every buffered byte at once
  // (and then lets the stream emit `end`).
  const bytes = stream.read() as Uint8Array | string | null;
  if (bytes === null) return length === 0 ? new Uint8Array(0) : undefined;
  return typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
}
