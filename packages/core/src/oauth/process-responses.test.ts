import { describe, expect, it } from 'vitest';
import { OAuthError, ResponseError, TokenTypeDowngradeError } from '../errors.js';
import {
  processBackchannelAuthenticationResponse,
  processErrorResponse,
  processRevocationResponse,
  processTokenResponse,
} from './process-responses.js';

const response = (status: number, body: unknown) => ({ status, headers: {}, body: typeof body === 'string' ? body : JSON.stringify(body) });
const token = { access_token: 'secret-token', token_type: 'DPoP', expires_in: 60 };

describe('processTokenResponse', () => {
  it('accepts a DPoP token with authorization_details', () => {
    const details = [{ type: 'agent_action', tool: 'create_payout' }];
    expect(processTokenResponse(response(200, { ...token, authorization_details: details }))).toEqual({ ...token, authorization_details: details });
  });

  it.each(['Bearer', 'N_A', 'bearer'])('refuses token_type %s', (tokenType) => {
    expect(() => processTokenResponse(response(200, { ...token, token_type: tokenType }))).toThrow(TokenTypeDowngradeError);
  });

  it.each([
    ['expires_in as a string', { ...token, expires_in: '60' }],
    ['a zero expires_in', { ...token, expires_in: 0 }],
    ['an empty access_token', { ...token, access_token: '' }],
    ['no token_type', { access_token: 'x', expires_in: 1 }],
    ['a numeric scope', { ...token, scope: 1 }],
    ['authorization_details without type', { ...token, authorization_details: [{ tool: 'x' }] }],
    ['authorization_details as an object', { ...token, authorization_details: { type: 'x' } }],
  ])('refuses %s', (_, body) => {
    const error = (() => {
      try {
        processTokenResponse(response(200, body));
      } catch (caught) {
        return caught as ResponseError;
      }
    })();
    expect(error).toBeInstanceOf(ResponseError);
    expect(error?.message).not.toContain('secret-token');
  });

  it('throws OAuth errors typed, with status and parameters', () => {
    const error = (() => {
      try {
        processTokenResponse(response(400, { error: 'authorization_pending', error_description: 'wait', approvals_required: 2 }));
      } catch (caught) {
        return caught as OAuthError;
      }
    })();
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).toMatchObject({ error: 'authorization_pending', errorDescription: 'wait', status: 400, parameters: { approvals_required: 2 } });
  });
});

describe('processErrorResponse', () => {
  it('gives a ResponseError when the body is not an OAuth error', () => {
    expect(processErrorResponse(response(502, '<html>'), 'token endpoint')).toBeInstanceOf(ResponseError);
    expect(processErrorResponse(response(400, { error: 7 }), 'token endpoint')).not.toBeInstanceOf(OAuthError);
    expect(processErrorResponse(response(400, { error: 'x', error_description: 5 }), 'token endpoint')).toMatchObject({ errorDescription: undefined });
  });
});

describe('processBackchannelAuthenticationResponse', () => {
  it('validates auth_req_id, expires_in and interval', () => {
    expect(processBackchannelAuthenticationResponse(response(200, { auth_req_id: 'r', expires_in: 60 }))).toEqual({ auth_req_id: 'r', expires_in: 60 });
    expect(() => processBackchannelAuthenticationResponse(response(200, { expires_in: 60 }))).toThrow(ResponseError);
    expect(() => processBackchannelAuthenticationResponse(response(200, { auth_req_id: 'r' }))).toThrow(ResponseError);
    expect(() => processBackchannelAuthenticationResponse(response(200, { auth_req_id: 'r', expires_in: 1, interval: -1 }))).toThrow(ResponseError);
    expect(() => processBackchannelAuthenticationResponse(response(400, { error: 'unknown_user_id' }))).toThrow(OAuthError);
  });

  it.each(['{"auth_req_id":"r","expires_in":1e400}', '{"auth_req_id":"r","expires_in":300,"interval":"5"}', 'text'])('refuses %s', (body) => {
    expect(() => processBackchannelAuthenticationResponse(response(200, body))).toThrow(ResponseError);
  });
});

describe('processRevocationResponse', () => {
  it('accepts 200 with any body and types errors', () => {
    expect(() => processRevocationResponse(response(200, ''))).not.toThrow();
    expect(() => processRevocationResponse(response(503, ''))).toThrow(ResponseError);
  });
});
