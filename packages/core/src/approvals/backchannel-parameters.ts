import { ConfigurationError } from '../errors.js';
import { findNonJson } from '../lib/plain-json.js';
import type { AuthorizationDetail } from '../oauth/types.js';
import { validateBindingMessage } from './binding-message.js';
import type { ApprovalRequest } from './types.js';

/**
 * Validates an approval request and builds the form parameters of its OpenID CIBA backchannel
 * authentication request (poll mode): `scope` (with `openid` added when missing), `login_hint`,
 * `binding_message` (checked as an approver will see it), RFC 9396 `authorization_details` (a
 * non-empty array of plain JSON objects with a `type`, sent as JSON text), the RFC 8707 `resource`
 * and `requested_expiry`. `agent.requestApproval` sends exactly these, client-authenticated.
 *
 * @example
 * ```ts
 * const form = backchannelAuthenticationParameters({ loginHint: 'alice', bindingMessage: 'Pay 250 EUR to ACME', authorizationDetails });
 * // { scope: 'openid', login_hint: 'alice', binding_message: 'Pay 250 EUR to ACME', authorization_details: '[...]' }
 * ```
 * @throws {ConfigurationError} when the request is invalid.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-2
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
 */
export function backchannelAuthenticationParameters(
  request: ApprovalRequest,
): Record<string, string> & { scope: string; authorization_details: string } {
  if (typeof request.loginHint !== 'string' || request.loginHint.trim() === '') {
    throw new ConfigurationError('approval loginHint must be a non-empty string');
  }
  validateBindingMessage(request.bindingMessage);
  const details = validateAuthorizationDetails(request.authorizationDetails);
  const parameters: Record<string, string> & { scope: string; authorization_details: string } = {
    scope: withOpenidScope(request.scope),
    login_hint: request.loginHint,
    binding_message: request.bindingMessage,
    authorization_details: details,
  };
  if (request.resource !== undefined) parameters.resource = validateResource(request.resource);
  if (request.requestedExpiry !== undefined) {
    if (!Number.isInteger(request.requestedExpiry) || request.requestedExpiry <= 0) {
      throw new ConfigurationError('approval requestedExpiry must be a positive whole number of seconds');
    }
    parameters.requested_expiry = String(request.requestedExpiry);
  }
  return parameters;
}

/**
 * `scope` with `openid` added when missing: CIBA authentication requests require it.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1
 */
export function withOpenidScope(scope: string | undefined): string {
  if (scope !== undefined && typeof scope !== 'string') throw new ConfigurationError('approval scope must be a string');
  const scopes = (scope ?? '').split(/\s+/).filter(Boolean);
  return scopes.includes('openid') ? scopes.join(' ') : ['openid', ...scopes].join(' ');
}

function validateAuthorizationDetails(details: unknown): string {
  if (!Array.isArray(details) || details.length === 0) {
    throw new ConfigurationError('approval authorizationDetails must be a non-empty array');
  }
  details.forEach((detail: AuthorizationDetail, index) => {
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail) || typeof detail.type !== 'string' || detail.type === '') {
      throw new ConfigurationError(`approval authorizationDetails[${index}] must be an object with a string type`);
    }
  });
  const offending = findNonJson(details);
  if (offending !== undefined) {
    throw new ConfigurationError(`approval authorizationDetails must be plain JSON values (authorizationDetails${offending.replace('(root)', '')} is not)`);
  }
  return JSON.stringify(details);
}

function validateResource(resource: unknown): string {
  if (typeof resource !== 'string' || !URL.canParse(resource) || new URL(resource).hash !== '' || resource.includes('#')) {
    throw new ConfigurationError('approval resource must be an absolute URI without a fragment (RFC 8707)');
  }
  return resource;
}
