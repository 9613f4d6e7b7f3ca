import { CountersignError } from '@countersign/core';

/** Why a request body was refused. */
export type RequestBodyProblem = 'malformed_request' | 'body_too_large' | 'unsupported_media_type';

const statusOf: Record<RequestBodyProblem, number> = { malformed_request: 400, body_too_large: 413, unsupported_media_type: 415 };

/**
 * A request body that is not acceptable JSON: not `application/json` (415), too large (413), or
 * not parseable (400). The adapters answer it with `invalid_request` and never call the handler.
 */
export class RequestBodyError extends CountersignError {
  static override readonly code: string = 'ERR_REQUEST_BODY';
  override readonly code = 'ERR_REQUEST_BODY';
  /** Which problem. */
  readonly reason: RequestBodyProblem;
  /** HTTP status to answer with. */
  readonly status: number;
  constructor(reason: RequestBodyProblem, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
    this.status = statusOf[reason];
  }
}

/** Default most bytes of a JSON body (64 KiB). */
export const DEFAULT_BODY_LIMIT = 65_536;

/** Checks the media type and parses JSON text, with the errors above. */
export function parseJsonText(contentType: string | null | undefined, text: string): unknown {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json' && !(type?.startsWith('application/') && type.endsWith('+json'))) {
    throw new RequestBodyError('unsupported_media_type', 'the request body must be application/json');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new RequestBodyError('malformed_request', 'the request body is not valid JSON', { cause: error });
  }
}

/**
 * Reads a WHATWG request's JSON body (from a clone, so the handler can still read it), at most
 * `limit` bytes, with the media type checked.
 *
 * @throws {RequestBodyError}
 */
export async function readJsonRequest(request: Request, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > limit) throw new RequestBodyError('body_too_large', `the request body is larger than ${limit} bytes`);
  const type = request.headers.get('content-type');
  parseJsonText(type, '{}'); // media type first, before reading anything
  const reader = request.clone().body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (reader !== undefined) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw new RequestBodyError('body_too_large', `the request body is larger than ${limit} bytes`);
      }
      chunks.push(value);
    }
  }
  return parseJsonText(type, Buffer.concat(chunks).toString('utf8'));
}
