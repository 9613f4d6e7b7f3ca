import type { IncomingMessage } from 'node:http';
import { invalidRequest, ToolApiError } from './tool-api-error.js';

/**
 * Reads a JSON request body of at most `limit` bytes. Refuses a non-JSON media type (415), a larger
 * body (413) and malformed JSON (400).
 */
export async function readJsonBody(request: IncomingMessage, limit = 16_384): Promise<unknown> {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    request.resume();
    throw new ToolApiError(415, 'unsupported_media_type', 'the request body must be application/json');
  }
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) {
    request.resume();
    throw new ToolApiError(413, 'payload_too_large', `the request body is larger than ${limit} bytes`, { headers: { Connection: 'close' } });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw new ToolApiError(413, 'payload_too_large', `the request body is larger than ${limit} bytes`, { headers: { Connection: 'close' } });
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalidRequest('the request body is not valid JSON', { cause: error });
  }
}

