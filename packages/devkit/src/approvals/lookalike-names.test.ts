import { describe, expect, it } from 'vitest';
import { DEV_APPROVERS } from './approver-directory.js';
import { knownNames, latinLookalikes, lookalikeNames, skeleton, stringArguments, withLookalikes } from './lookalike-names.js';
import type { ApprovalView } from './types.js';

function viewOf(args: unknown, clientId = 'payout-agent'): ApprovalView {
  return {
    id: 'id',
    status: 'pending',
    clientId,
    loginHint: 'alice',
    bindingMessage: 'Pay',
    scope: 'openid',
    authorizationDetails: [],
    args,
    summary: {},
    requiredApprovals: 1,
    decisionRule: '',
    mayApprove: [],
    mayDeny: [],
    approvals: [],
    createdAt: '2026-12-06T00:00:00.000Z',
    expiresAt: '2026-12-06T00:05:00.000Z',
  };
}

describe('lookalike names (UTS #39 confusables)', () => {
  it('gives a Cyrillic or Greek imitation the skeleton of the Latin name, and keeps different names apart', () => {
    expect(skeleton('M\u0430llory Ltd')).toBe(skeleton('Mallory Ltd'));
    expect(skeleton('\u039Fpen Bank')).toBe(skeleton('Open Bank'));
    expect(skeleton('pay\u200Bpal')).toBe(skeleton('paypal'));
    expect(skeleton('Mallory Ltd')).not.toBe(skeleton('Malory Ltd'));
    expect(skeleton('Café')).not.toBe(skeleton('Cafe'));
  });

  it('names the characters that read as Latin letters, and nothing in plain or accented Latin text', () => {
    expect(latinLookalikes('M\u0430llory Ltd')).toEqual(['U+0430 looks like "a"']);
    expect(latinLookalikes('\uFF21CME')).toEqual(['U+FF21 looks like "A"']);
    expect(latinLookalikes('Mallory Ltd')).toEqual([]);
    expect(latinLookalikes('Crème brûlée SARL')).toEqual([]);
  });

  it('lists every string argument by the path the inbox shows', () => {
    expect(stringArguments({ recipient: 'A', amount: 5, routing: { bank: 'B', lines: ['C', 7] } })).toEqual([
      ['recipient', 'A'],
      ['routing.bank', 'B'],
      ['routing.lines[0]', 'C'],
    ]);
    expect(stringArguments('solo')).toEqual([['(arguments)', 'solo']]);
  });

  it('flags a value that looks exactly like another known name, and one holding confusable characters', () => {
    const honest = viewOf({ recipient: 'Mallory Ltd', amount: 5 });
    const imitation = viewOf({ recipient: 'M\u0430llory Ltd', memo: 'plain words', routing: { bank: 'Northwind Bank' } });
    const names = knownNames([honest, imitation], DEV_APPROVERS);
    expect(lookalikeNames(imitation, names)).toEqual([{ path: 'recipient', characters: ['U+0430 looks like "a"'], resembles: 'Mallory Ltd' }]);
    expect(lookalikeNames(honest, names)).toEqual([{ path: 'recipient', characters: [], resembles: 'M\u0430llory Ltd' }]);
  });

  it('flags an argument imitating an approver or an agent, with no confusable character needed', () => {
    // A capital I reads as a lower-case l in the confusables data: plain ASCII, yet the same skeleton.
    const view = viewOf({ note: 'payout-agent', cc: 'AIice Martin' });
    expect(withLookalikes([view], [view], DEV_APPROVERS)[0]!.lookalikes).toEqual([{ path: 'cc', characters: [], resembles: 'Alice Martin' }]);
  });

  it('flags nothing for honest arguments, numbers, or no arguments at all', () => {
    const view = viewOf({ accountId: 'acc_operating', recipient: 'ACME Supplies Ltd', amount: 50000, currency: 'EUR' });
    expect(withLookalikes([view, viewOf(undefined)], [view], DEV_APPROVERS).map((shown) => shown.lookalikes)).toEqual([[], []]);
  });
});
