import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { backchannelAuthenticationParameters } from './backchannel-parameters.js';

const authorizationDetails = [{ type: 'agent_action', tool: 'create_payout', args_sha256: 'abc' }];

describe('backchannelAuthenticationParameters', () => {
  it('builds the CIBA form parameters an approval request sends', () => {
    expect(
      backchannelAuthenticationParameters({
        loginHint: 'alice',
        bindingMessage: 'Pay 250 EUR to ACME',
        authorizationDetails,
        scope: 'payouts:write',
        resource: 'https://treasury.example',
        requestedExpiry: 120,
      }),
    ).toEqual({
      scope: 'openid payouts:write',
      login_hint: 'alice',
      binding_message: 'Pay 250 EUR to ACME',
      authorization_details: JSON.stringify(authorizationDetails),
      resource: 'https://treasury.example',
      requested_expiry: '120',
    });
  });

  it('refuses an invalid request with ConfigurationError', () => {
    const valid = { loginHint: 'alice', bindingMessage: 'Pay 250 EUR', authorizationDetails };
    expect(() => backchannelAuthenticationParameters({ ...valid, loginHint: ' ' })).toThrow(ConfigurationError);
    expect(() => backchannelAuthenticationParameters({ ...valid, authorizationDetails: [] })).toThrow(ConfigurationError);
    expect(() => backchannelAuthenticationParameters({ ...valid, resource: 'https://treasury.example/#x' })).toThrow(ConfigurationError);
    expect(() => backchannelAuthenticationParameters({ ...valid, requestedExpiry: 1.5 })).toThrow(ConfigurationError);
  });
});
