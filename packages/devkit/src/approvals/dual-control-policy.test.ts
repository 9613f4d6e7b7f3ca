import { describe, expect, it } from 'vitest';
import { DEV_APPROVERS, findApprover } from './approver-directory.js';
import { actionPolicy, refusalToApprove, refusalToDecide } from './dual-control-policy.js';

const hash = 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg';
const options = { dualControlThreshold: 1000 };
const alice = findApprover('alice')!;
const bob = findApprover('bob')!;
const carol = findApprover('carol')!;

describe('actionPolicy', () => {
  it('asks one treasury approver for a payout at or below the threshold', () => {
    expect(actionPolicy({ type: 'agent_action', tool: 'create_payout', args: {}, args_sha256: hash, amount: 1000 }, options)).toEqual({
      requiredApprovals: 1,
      everyApproverRole: 'treasury',
    });
  });

  it('asks two for a payout above the threshold, or whose amount is not stated', () => {
    expect(actionPolicy({ type: 'agent_action', tool: 'create_payout', args: {}, args_sha256: hash, amount: 1000.01 }, options).requiredApprovals).toBe(2);
    expect(actionPolicy({ type: 'agent_action', tool: 'create_payout', args: {}, args_sha256: hash }, options).requiredApprovals).toBe(2);
  });

  it('always asks two for a key rotation, one of them from security, even when the agent asks single', () => {
    expect(actionPolicy({ type: 'agent_action', tool: 'rotate_signing_key', args: {}, args_sha256: hash, approval: 'single' }, options)).toEqual({
      requiredApprovals: 2,
      someApproverRole: 'security',
    });
  });

  it('gives an agent asking dual two approvers, and never fewer than the policy when asking single', () => {
    expect(actionPolicy({ type: 'agent_action', tool: 'create_payout', args: {}, args_sha256: hash, amount: 5, approval: 'dual' }, options).requiredApprovals).toBe(2);
    expect(actionPolicy({ type: 'agent_action', tool: 'create_payout', args: {}, args_sha256: hash, amount: 5000, approval: 'single' }, options).requiredApprovals).toBe(2);
    expect(actionPolicy({ type: 'agent_action', tool: 'send_email', args: {}, args_sha256: hash, approval: 'dual' }, options).requiredApprovals).toBe(2);
    expect(actionPolicy({ type: 'agent_action', tool: 'send_email', args: {}, args_sha256: hash }, options)).toEqual({ requiredApprovals: 1 });
    expect(actionPolicy(undefined, options)).toEqual({ requiredApprovals: 1 });
  });
});

describe('approver roles', () => {
  const payout = actionPolicy({ type: 'agent_action', tool: 'create_payout', args: {}, args_sha256: hash, amount: 5000 }, options);
  const rotation = actionPolicy({ type: 'agent_action', tool: 'rotate_signing_key', args: {}, args_sha256: hash }, options);

  it('lets only treasury decide payouts', () => {
    expect(refusalToDecide(payout, alice)).toBeUndefined();
    expect(refusalToApprove(payout, bob, [alice])).toBeUndefined();
    expect(refusalToDecide(payout, carol)).toMatch(/carol does not hold the treasury role/);
    expect(refusalToApprove(payout, carol, [alice])).toMatch(/treasury/);
  });

  it('needs a security approver among those of a key rotation', () => {
    expect(refusalToApprove(rotation, alice, [])).toBeUndefined();
    expect(refusalToApprove(rotation, bob, [alice])).toMatch(/one of the approvers must hold the security role/);
    expect(refusalToApprove(rotation, carol, [alice])).toBeUndefined();
    expect(refusalToApprove(rotation, alice, [carol])).toBeUndefined();
  });

  it('has the three dev approvers', () => {
    expect(DEV_APPROVERS.map((approver) => [approver.id, approver.roles])).toEqual([
      ['alice', ['treasury']],
      ['bob', ['treasury']],
      ['carol', ['security']],
    ]);
  });
});
