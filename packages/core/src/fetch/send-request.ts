import { ConfigurationError, NetworkError, ResponseError } from '../errors.js';
import { pipeline, type Readable } from 'node:stream';
import { canonicalMethod } from '../lib/http-method.js';
import { constants as zlib, createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { request, Response, type Dispatcher } from 'undici';

type BodyReadable = Dispatcher.ResponseData['body'];
import type { ReplayableBody } from '../lib/replayable-body.js';
import { takeBufferedBody } from '../lib/buffered-body.js';
import { BufferedResponse, withUrl } from './buffered-response.js';

/** What {@link sendRequest} sends: a request `agentFetch` has already normalized. */
export interface SendRequestInit {
  /** HTTP method as given; the six methods fetch normalizes, and PATCH, are upper-cased. */
  method: string;
  /**
   * Request headers with lower-case names (see `toHeaderRecord`), owned by the request: the
   * defaults fetch adds (`accept`, `accept-encoding`, the body's `content-type`) are set in it.
   */
  headers: Record<string, string>;
  /** A body that can be sent again (see `toReplayableBody`). */
  body?: ReplayableBody;
  signal?: AbortSignal | null | undefined;
  /** `'error'` rejects on a redirect status; anything else returns the redirect as it is. */
  redirect?: RequestRedirect | undefined;
  /** undici dispatcher (default: the global one). */
  dispatcher?: Dispatcher | undefined;
}

/** Methods fetch refuses. @see https://fetch.spec.whatwg.org/#forbidden-method */
const forbiddenMethods = new Set(['CONNECT', 'TRACE', 'TRACK']);
/** @see https://fetch.spec.whatwg.org/#null-body-status */
const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);
/** Redirect statuses. @see https://fetch.spec.whatwg.org/#redirect-status */
export const redirectStatuses: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** As fetch: more codings than this are refused (resource exhaustion). */
const maxContentCodings = 5;

/**
 * Sends one request with undici's `request` (no redirect is followed) and answers with a WHATWG
 * `Response`, as fetch would for the same request: the default `Accept`, `Accept-Encoding` and
 * body `Content-Type` are added when absent, a gzip, deflate or br body is decoded, a null-body
 * status or a HEAD gets a null body, and repeated response headers stay repeated (`set-cookie`).
 * It skips what fetch does and `agentFetch` does not need (CORS, caching, redirects), which makes it
 * markedly faster on the hot path.
 *
 * Failures reject with Countersign errors where fetch would reject with a `TypeError`: an aborted
 * signal with its reason; a network error with {@link NetworkError} (its `cause` says why); a
 * redirect with `redirect: 'error'`, or more content codings than fetch accepts, with
 * {@link ResponseError}; a forbidden method, or a body on GET or HEAD, with
 * {@link ConfigurationError} (nothing is sent).
 *
 * @see https://fetch.spec.whatwg.org/#http-network-fetch
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-8.4
 */
export async function sendRequest(url: URL, init: SendRequestInit): Promise<Response> {
  const method = normalizeMethod(init.method);
  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();
  const headers = init.headers;
  const encoded = encodeBody(init.body, method, headers);
  const body = encoded instanceof Promise ? await encoded : encoded;
  if (headers.accept === undefined) headers.accept = '*/*';
  if (headers['accept-encoding'] === undefined && headers.range === undefined) {
    headers['accept-encoding'] = url.protocol === 'https:' ? 'br, gzip, deflate' : 'gzip, deflate';
  }
  let sent: Dispatcher.ResponseData;
  try {
    sent = await request(url, { method: method as Dispatcher.HttpMethod, headers, body, signal, dispatcher: init.dispatcher });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new NetworkError(`fetch failed: ${url.origin}`, { cause: error });
  }
  const { statusCode: status, statusText, headers: received, body: stream } = sent;
  if (init.redirect === 'error' && redirectStatuses.has(status)) {
    discard(stream);
    throw new ResponseError(`unexpected redirect (HTTP ${status}) from ${url.origin} with redirect: 'error'`, status);
  }
  if (method === 'HEAD' || nullBodyStatuses.has(status)) {
    discard(stream);
    return toResponse(null, status, statusText, received, url);
  }
  const contentEncoding = received['content-encoding'];
  const codings = contentEncoding ? String(contentEncoding).toLowerCase().split(',') : [];
  if (codings.length > maxContentCodings) {
    discard(stream);
    throw new ResponseError(`too many content-encodings in the response from ${url.origin}: ${codings.length}`, status);
  }
  // A small answer has usually arrived whole with its headers: a stream that already holds its
  // bytes is a much cheaper body than one that pulls them from the socket stream.
  const buffered = codings.length === 0 ? takeBufferedBody(stream) : undefined;
  if (buffered !== undefined) return withHeaders(new BufferedResponse(buffered, { status, statusText }), received, url);
  const responseBody = decode(stream, codings) as unknown as ConstructorParameters<typeof Response>[0];
  return toResponse(responseBody, status, statusText, received, url);
}

/** Reads what is left of a body that is not wanted, so its connection can serve another request. */
function discard(stream: BodyReadable): void {
  stream.dump().catch(() => undefined);
}

function normalizeMethod(method: string): string {
  const upper = method.toUpperCase();
  if (forbiddenMethods.has(upper)) throw new ConfigurationError(`the ${upper} HTTP method is not supported (fetch forbids it)`);
  return canonicalMethod(method);
}

/**
 * The body as undici `request` takes it, setting the `Content-Type` fetch derives from it when the
 * caller gave none.
 *
 * @see https://fetch.spec.whatwg.org/#concept-bodyinit-extract
 */
function encodeBody(body: ReplayableBody, method: string, headers: Record<string, string>): string | Uint8Array | undefined | Promise<Uint8Array> {
  if (body === null || body === undefined) return undefined;
  if (method === 'GET' || method === 'HEAD') throw new ConfigurationError(`a ${method} request cannot have a body`);
  if (typeof body === 'string') return withType(body, headers, 'text/plain;charset=UTF-8');
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof URLSearchParams) return withType(body.toString(), headers, 'application/x-www-form-urlencoded;charset=UTF-8');
  // Blob and FormData: the runtime's own Response serializes them (a multipart boundary, the Blob's type).
  const encoded = new globalThis.Response(body);
  withType(null, headers, encoded.headers.get('content-type'));
  return encoded.arrayBuffer().then((bytes) => new Uint8Array(bytes));
}

function withType<T>(body: T, headers: Record<string, string>, type: string | null): T {
  if (type && headers['content-type'] === undefined) headers['content-type'] = type;
  return body;
}

/**
 * A `Response` with `received` as its headers, each value of a repeated header appended on its own
 * (`set-cookie`). Appended one by one rather than given as `init.headers`: the record form is
 * converted to a new record and then validated again, which costs a third more per response.
 *
 * @see https://fetch.spec.whatwg.org/#dom-response
 */
function toResponse(body: ConstructorParameters<typeof Response>[0], status: number, statusText: string, received: Record<string, string | string[] | undefined>, url: URL): Response {
  return withHeaders(new Response(body, { status, statusText }), received, url);
}

/** `response` with `received` as its headers and `url` as its URL (see {@link toResponse}). */
function withHeaders(response: Response, received: Record<string, string | string[] | undefined>, url: URL): Response {
  const headers = response.headers;
  for (const name in received) {
    const value = received[name];
    if (typeof value === 'string') headers.append(name, value);
    else if (value !== undefined) for (const item of value) headers.append(name, item);
  }
  return withUrl(response, url.href);
}

/**
 * The body decoded by its content codings, last applied first, as fetch decodes it; a coding it
 * does not know leaves the body as it came.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-8.4.1
 */
function decode(stream: Readable, codings: readonly string[]): Readable {
  const decoders: Readable[] = [];
  for (let index = codings.length - 1; index >= 0; index--) {
    const coding = codings[index]!.trim();
    // Z_SYNC_FLUSH, as fetch and curl: a body cut short still yields what was decoded.
    if (coding === 'gzip' || coding === 'x-gzip') {
      decoders.push(createGunzip({ flush: zlib.Z_SYNC_FLUSH, finishFlush: zlib.Z_SYNC_FLUSH }));
    } else if (coding === 'deflate') {
      decoders.push(createInflate({ flush: zlib.Z_SYNC_FLUSH, finishFlush: zlib.Z_SYNC_FLUSH }));
    } else if (coding === 'br') {
      decoders.push(createBrotliDecompress({ flush: zlib.BROTLI_OPERATION_FLUSH, finishFlush: zlib.BROTLI_OPERATION_FLUSH }));
    } else if (coding !== 'identity') {
      return stream;
    }
  }
  if (decoders.length === 0) return stream;
  // pipeline destroys every stage on a failure, so reading the body rejects with the error.
  return pipeline([stream, ...decoders], () => undefined) as unknown as Readable;
}
