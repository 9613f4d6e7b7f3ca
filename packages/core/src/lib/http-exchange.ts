import { request, type Dispatcher } from 'undici';
import { NetworkError, ResponseError, TimeoutError } from '../errors.js';
import { backoffDelay, parseHttpDate, parseRetryAfter, type BackoffOptions } from './backoff.js';
import { sleep } from './sleep.js';

/** One HTTP request to an authorization server, built afresh for every attempt. */
export interface ExchangeRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: string | undefined;
}

/** A buffered HTTP response. */
export interface ExchangeResponse {
  status: number;
  /** Header values by lower-case name; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The body as text (UTF-8). */
  body: string;
}

/** Options of {@link exchange}. */
export interface ExchangeOptions {
  /** What is being called, for error messages (e.g. `token endpoint`). */
  what: string;
  /** undici dispatcher (default: the global one). */
  dispatcher?: Dispatcher | undefined;
  /** Aborts every attempt and every wait; its reason is thrown as is. */
  signal?: AbortSignal | undefined;
  /** Timeout of each attempt in milliseconds, headers and body included. */
  timeoutMs: number;
  /** How many times a transient failure is retried. */
  retries: number;
  /** Backoff between retries. */
  backoff?: BackoffOptions | undefined;
  /**
   * Whether the request may be sent again after it may have reached the server. When false, only
   * failures that prove it did not (connection refused, DNS, 429, 503) are retried.
   */
  idempotent: boolean;
  /** Largest body accepted, in bytes (default 1 MiB). */
  maxBodyBytes?: number | undefined;
  /** Sees every response, retried ones included (for example to remember DPoP nonces). */
  onResponse?: ((response: ExchangeResponse) => void) | undefined;
}

const connectErrors = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const transientErrors = new Set([
  ...connectErrors,
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * Sends a request built by `build(attempt)` and buffers the response, retrying network errors,
 * timeouts, 5xx and 429 with capped exponential backoff and full jitter, honouring `Retry-After`.
 * The last 5xx or 429 response is returned once retries are exhausted (or when `Retry-After` asks
 * for longer than allowed), so the caller can turn it into a typed error.
 *
 * @throws {NetworkError} the server could not be reached after the allowed retries
 * @throws {TimeoutError} the last attempt did not finish within `timeoutMs`
 * @throws {ResponseError} the body was larger than `maxBodyBytes`
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3 (Retry-After)
 */
export async function exchange(
  build: (attempt: number) => ExchangeRequest | Promise<ExchangeRequest>,
  options: ExchangeOptions,
): Promise<ExchangeResponse> {
  const { signal } = options;
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    const retriesLeft = attempt < options.retries;
    const outgoing = await build(attempt);
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const attemptSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let response: ExchangeResponse;
    try {
      const answer = await request(outgoing.url, {
        method: outgoing.method,
        headers: outgoing.headers,
        body: outgoing.body ?? null,
        signal: attemptSignal,
        ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      });
      response = {
        status: answer.statusCode,
        headers: flattenHeaders(answer.headers),
        body: await readBody(answer.body, options.maxBodyBytes ?? 1_048_576, options.what, answer.statusCode),
      };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (error instanceof ResponseError) throw error;
      const timedOut = timeout.aborted;
      const code = (error as { code?: string } | null)?.code;
      const retryable = timedOut ? options.idempotent : options.idempotent ? transientErrors.has(code ?? '') : connectErrors.has(code ?? '');
      if (retryable && retriesLeft) {
        await sleep(backoffDelay(attempt, options.backoff), signal);
        continue;
      }
      if (timedOut) throw new TimeoutError(`the ${options.what} did not answer within ${options.timeoutMs} ms`);
      throw new NetworkError(`could not reach the ${options.what}${code ? ` (${code})` : ''}`, { cause: error });
    }
    options.onResponse?.(response);
    const retryableStatus = response.status === 429 || response.status === 503 || (options.idempotent && response.status >= 500);
    if (!retryableStatus || !retriesLeft) return response;
    const serverNow = parseHttpDate(response.headers.date) ?? Date.now();
    const retryAfter = parseRetryAfter(response.headers['retry-after'], serverNow);
    if (retryAfter !== undefined && retryAfter > (options.backoff?.maxRetryAfterMs ?? 30_000)) return response;
    await sleep(retryAfter ?? backoffDelay(attempt, options.backoff), signal);
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

async function readBody(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number, what: string, status: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new ResponseError(`the ${what} sent a response body larger than ${limit} bytes`, status);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
