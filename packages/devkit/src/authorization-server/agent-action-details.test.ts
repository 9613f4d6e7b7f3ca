import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { AgentActionDetailError, findAgentAction, MAX_ACTION_ARGUMENTS_BYTES, parseAgentActionDetail } from './agent-action-details.js';

// Canonical JSON written out by hand (members sorted, no spaces), so the test does not reuse the code it checks.
const sha256 = (canonical: string) => createHash('sha256').update(canonical).digest('base64url');
const args = { accountId: 'acc_operating', amount: 1500, currency: 'EUR', recipient: 'ACME Ltd' };
const hash = sha256('{"accountId":"acc_operating","amount":1500,"currency":"EUR","recipient":"ACME Ltd"}');
const payout = { type: 'agent_action', tool: 'create_payout', args, args_sha256: hash, amount: 1500, currency: 'EUR', recipient: 'ACME Ltd', accountId: 'acc_operating' };
const rotationArgs = { keyId: 'k1' };

describe('parseAgentActionDetail', () => {
  it('accepts a payout action with its display members', () => {
    expect(parseAgentActionDetail(payout)).toEqual(payout);
    expect(parseAgentActionDetail({ type: 'agent_action', tool: 'rotate_signing_key', args: rotationArgs, args_sha256: sha256('{"keyId":"k1"}'), keyId: 'k1', approval: 'dual' })).toMatchObject({ approval: 'dual' });
  });

  it.each([
    ['an unknown member', { ...payout, note: 'x' }, /unknown member\(s\) "note"/],
    ['a hash of the wrong length', { ...payout, args_sha256: hash.slice(1) }, /args_sha256: a base64url SHA-256 digest/],
    ['a padded (non-base64url) hash', { ...payout, args_sha256: `${hash.slice(0, 42)}=` }, /args_sha256/],
    ['a missing tool', { type: 'agent_action', args, args_sha256: hash }, /\.tool:/],
    ['no args', { ...payout, args: undefined }, /\.args: the arguments of the call/],
    ['args that do not hash to args_sha256', { ...payout, args: { ...args, recipient: 'Mallory Ltd', amount: 50000 } }, /args_sha256 is not the SHA-256 of the canonical args/],
    ['a displayed amount other than the argument', { ...payout, amount: 5 }, /\.amount differs from args\.amount/],
    ['a displayed recipient other than the argument', { ...payout, recipient: 'ACME Supplies Ltd' }, /\.recipient differs from args\.recipient/],
    ['a recipient with a zero-width space', { ...payout, recipient: 'ACME\u200B Ltd' }, /recipient: contains an invisible or format character \(U\+200B at character 5\)/],
    ['a memo with a tag character', { ...payout, memo: 'ok\u{E0041}' }, /memo: contains an invisible or format character \(U\+E0041 at character 3\)/],
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

describe('argument size', () => {
  it('accepts args up to the limit and refuses larger ones with the size and the limit', () => {
    const fits = { memo: 'x'.repeat(MAX_ACTION_ARGUMENTS_BYTES - '{"memo":""}'.length) };
    const fitting = { type: 'agent_action', tool: 'send_note', args: fits, args_sha256: sha256(JSON.stringify(fits)) };
    expect(parseAgentActionDetail(fitting).args).toEqual(fits);
    const large = { memo: 'x'.repeat(MAX_ACTION_ARGUMENTS_BYTES) };
    const tooLarge = { type: 'agent_action', tool: 'send_note', args: large, args_sha256: sha256(JSON.stringify(large)) };
    expect(() => parseAgentActionDetail(tooLarge)).toThrow(`.args: ${MAX_ACTION_ARGUMENTS_BYTES + 11} bytes as canonical JSON; at most ${MAX_ACTION_ARGUMENTS_BYTES}`);
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
