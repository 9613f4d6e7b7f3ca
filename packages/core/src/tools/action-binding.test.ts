import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, InvalidArgumentsError } from '../errors.js';
import { actionAuthorizationDetails, argumentsSha256, MAX_ACTION_ARGUMENTS_BYTES } from './action-binding.js';

const args = { accountId: 'acc_operating', recipient: 'Mallory Ltd', amount: 50000, currency: 'EUR', memo: 'invoice 77' };
const policy = { approver: 'alice', describe: () => 'Pay 5 EUR to ACME Supplies Ltd' };

describe('actionAuthorizationDetails', () => {
  it('carries the validated arguments beside their hash, so the approver is shown the call itself', () => {
    const hash = argumentsSha256('create_payout', args);
    // RFC 8785 by hand: members sorted by code unit, no white space.
    const canonical = '{"accountId":"acc_operating","amount":50000,"currency":"EUR","memo":"invoice 77","recipient":"Mallory Ltd"}';
    expect(hash).toBe(createHash('sha256').update(canonical).digest('base64url'));
    const [detail] = actionAuthorizationDetails('create_payout', hash, { ...policy, details: (a: typeof args) => ({ amount: a.amount, currency: a.currency }) }, args);
    expect(detail).toEqual({ type: 'agent_action', tool: 'create_payout', args, args_sha256: hash, amount: 50000, currency: 'EUR' });
  });

  it('keeps args out of reach of details()', () => {
    expect(() => actionAuthorizationDetails('create_payout', 'h', { ...policy, details: () => ({ args: { amount: 5 } }) }, args)).toThrow(/may not set args/);
  });

  it('refuses a details() string an approver could misread, naming the code point', () => {
    const lying = { ...policy, details: () => ({ recipient: 'ACME\u2060 Supplies Ltd' }) };
    expect(() => actionAuthorizationDetails('create_payout', 'h', lying, args)).toThrow(ConfigurationError);
    expect(() => actionAuthorizationDetails('create_payout', 'h', lying, args)).toThrow('member recipient contains U+2060 WORD JOINER at character 5');
  });

  it(`refuses arguments larger than ${MAX_ACTION_ARGUMENTS_BYTES} bytes of canonical JSON, with the size`, () => {
    const fits = { memo: 'é'.repeat((MAX_ACTION_ARGUMENTS_BYTES - '{"memo":""}'.length) / 2 - 1) };
    expect(actionAuthorizationDetails('send_note', 'h', policy, fits)[0]!.args).toEqual(fits);
    const large = { memo: 'é'.repeat(MAX_ACTION_ARGUMENTS_BYTES / 2) };
    const expectedSize = MAX_ACTION_ARGUMENTS_BYTES + '{"memo":""}'.length;
    expect(() => actionAuthorizationDetails('send_note', 'h', policy, large)).toThrow(InvalidArgumentsError);
    expect(() => actionAuthorizationDetails('send_note', 'h', policy, large)).toThrow(`the arguments are ${expectedSize} bytes as canonical JSON; at most ${MAX_ACTION_ARGUMENTS_BYTES}`);
  });
});
