/** Largest JSON document read from the authorization server (JWKS, metadata, introspection). */
const maxBytes = 512 * 1024;

/**
 * Sends one request and parses a JSON object answer: HTTP 200, at most 512 KiB, a JSON object,
 * within 10 s. Throws otherwise (callers turn that into a fail-closed refusal or a startup error).
 */
export async function fetchJson(fetchImplementation: typeof fetch, url: URL, init: RequestInit): Promise<Record<string, unknown>> {
  const response = await fetchImplementation(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(10_000) });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status} from ${url.origin}${url.pathname}`);
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new Error(`answer from ${url.origin}${url.pathname} is too large`);
  }
  const text = await response.text();
  if (text.length > maxBytes) throw new Error(`answer from ${url.origin}${url.pathname} is too large`);
  const value: unknown = JSON.parse(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`answer from ${url.origin}${url.pathname} is not a JSON object`);
  return value as Record<string, unknown>;
}
