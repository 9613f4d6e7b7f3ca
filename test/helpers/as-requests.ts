/**
 * Client-authenticated requests to the devkit's authorization server made by the test itself (as
 * the agent's operator would), e.g. to revoke or introspect a token the agent holds.
 */
import { request } from 'undici';
import type { Signer } from '@countersign/core';
import { clientAssertionType, createClientAssertionSigner } from '@countersign/core/oauth';
import { rememberSecret } from './error-collector.js';

export async function metadataOf(issuer: string): Promise<Record<string, string>> {
  const response = await request(`${issuer}/.well-known/oauth-authorization-server`);
  return (await response.body.json()) as Record<string, string>;
}

/** POSTs `parameters` to `endpoint` authenticated as `clientId` with `identity`; returns status and JSON (or text). */
export async function postAsClient(
  issuer: string,
  endpoint: string,
  identity: Signer,
  clientId: string,
  parameters: Record<string, string>,
): Promise<{ status: number; body: unknown }> {
  const assertion = await createClientAssertionSigner(identity, clientId).create({ audience: issuer });
  rememberSecret(assertion);
  const form = new URLSearchParams({ ...parameters, client_id: clientId, client_assertion_type: clientAssertionType, client_assertion: assertion });
  const response = await request(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
  });
  const text = await response.body.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.statusCode, body };
}

/** The payload of a JWT (no verification: the tool API verifies; tests only read claims). */
export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
