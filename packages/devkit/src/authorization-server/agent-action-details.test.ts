import { describe, expect, it } from 'vitest';
import { AgentActionDetailError, findAgentAction, parseAgentActionDetail } from './agent-action-details.js';

const hash = 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg';
const payout = { type: 'agent_action', tool: 'create_payout', args_sha256: hash, amount: 1500, currency: 'EUR', recipient: 'ACME Ltd', accountId: 'acc_operating' };

describe('parseAgentActionDetail', () => {
  it('accepts a payout action with its display members', () => {
    expect(parseAgentActionDetail(payout)).toEqual(payout);
    expect(parseAgentActionDetail({ type: 'agent_action', tool: 'rotate_signing_key', args_sha256: hash, keyId: 'k1', approval: 'dual' })).toMatchObject({ approval: 'dual' });
  });

  it.each([
    ['an unknown member', { ...payout, note: 'x' }, /unknown member\(s\) "note"/],
    ['a hash of the wrong length', { ...payout, args_sha256: hash.slice(1) }, /args_sha256: a base64url SHA-256 digest/],
    ['a padded (non-base64url) hash', { ...payout, args_sha256: `${hash.slice(0, 42)}=` }, /args_sha256/],
    ['a missing tool', { type: 'agent_action', args_sha256: hash }, /\.tool:/],
    ['a negative amount', { ...payout, amount: -1 }, /\.amount:/],
    ['an amount given as a string', { ...payout, amount: '1500' }, /\.amount:/],
    ['a lower-case currency', { ...payout, currency: 'eur' }, /currency: an ISO 4217 currency code/],
    ['an approval mode other than single or dual', { ...payout, approval: 'none' }, /\.approval:/],
    ['another type', { ...payout, type: 'payment_initiation' }, /\.type:/],
    ['a non-object', 'create_payout', /authorization_details\[0\]/],
  ])('refuses %s', (_case, detail, message) => {
    expect(() => parseAgentActionDetail(detail)).toThrow(AgentActionDetailError);
    expect(() => parseAgentActionDetail(detail)).toThrow(message);
  });

  it('never echoes the offending value', () => {
    const secretLooking = 'sk_live_should_not_appear_in_errors';
    try {
      parseAgentActionDetail({ ...payout, recipient: secretLooking.repeat(20) });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain(secretLooking);
    }
  });
});

describe('findAgentAction', () => {
  it('returns the single agent_action of a list', () => {
    expect(findAgentAction([payout])?.tool).toBe('create_payout');
    expect(findAgentAction(undefined)).toBeUndefined();
    expect(findAgentAction([])).toBeUndefined();
  });

  it('refuses two actions in one request: one approval authorizes one call', () => {
    expect(() => findAgentAction([payout, { ...payout, amount: 1 }])).toThrow(/one agent_action per request/);
  });

  it('names the index of a bad detail', () => {
    expect(() => findAgentAction([{ type: 'other' }, { ...payout, amount: -5 }] as Array<{ type: string }>)).toThrow(/authorization_details\[1\]\.amount/);
  });
});
