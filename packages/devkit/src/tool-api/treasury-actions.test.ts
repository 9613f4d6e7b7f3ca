import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalSha256 } from '../../../core/src/lib/canonical-json.js';
import { argumentsHash } from './action-authorization.js';
import { samplePayout, send, startScenario, testArgumentsHash, type Answer, type Scenario } from './testing/test-kit.js';

let scenario: Scenario;
beforeAll(async () => {
  scenario = await startScenario({ dualControlThreshold: 1000 });
});
afterAll(() => scenario.api.close());

const now = () => Math.floor(Date.now() / 1000);
const balanceOf = (id: string) => scenario.api.ledger.accounts().find((account) => account.id === id)!.balance;

function expectRefusal(answer: Answer, status: number, error: string, description: RegExp): void {
  expect(answer.status).toBe(status);
  expect(answer.body.error).toBe(error);
  expect(answer.body.error_description).toMatch(description);
  if (status === 401 || error === 'insufficient_scope') {
    expect(answer.scheme).toBe('DPoP');
    expect(answer.challenge?.error).toBe(error);
    expect(answer.challenge?.algs).toBe('ES256 EdDSA');
  }
}

async function rotate(token: string, args: unknown): Promise<Answer> {
  return send(`${scenario.api.url}/admin/keys/rotate`, {
    method: 'POST',
    headers: { authorization: `DPoP ${token}`, dpop: await scenario.proof(token, 'POST', '/admin/keys/rotate') },
    body: args,
  });
}

describe('tool API: POST /payouts', { timeout: 30_000 }, () => {
  it('executes an approved payout once and reduces the balance', async () => {
    const before = balanceOf('acc_operating');
    const answer = await scenario.postPayout(await scenario.actionToken());
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ status: 'executed', accountId: 'acc_operating', amount: 250, currency: 'EUR' });
    expect(answer.body.payoutId).toMatch(/^po_/);
    expect(answer.body.approvers).toEqual([{ sub: 'alice', approved_at: expect.any(Number) }]);
    expect(balanceOf('acc_operating')).toBe(before - 250);
    const recorded = scenario.api.ledger.payouts().find((payout) => payout.payoutId === answer.body.payoutId);
    expect(recorded).toMatchObject({ clientId: 'payout-agent', recipient: samplePayout.recipient, memo: samplePayout.memo });
  });

  it('refuses an action token used a second time; the payout is not repeated', async () => {
    const token = await scenario.actionToken();
    expect((await scenario.postPayout(token)).status).toBe(201);
    const before = scenario.snapshot();
    const second = await scenario.postPayout(token);
    expectRefusal(second, 401, 'invalid_token', /already used/);
    expect(scenario.snapshot()).toBe(before);
  });

  it('runs two concurrent uses of one action token exactly once', async () => {
    const token = await scenario.actionToken();
    const count = scenario.api.ledger.payouts().length;
    const proofs = await Promise.all([scenario.proof(token, 'POST', '/payouts'), scenario.proof(token, 'POST', '/payouts')]);
    const answers = await Promise.all(proofs.map((proof) => scenario.postPayout(token, { proof })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 401]);
    expect(scenario.api.ledger.payouts().length).toBe(count + 1);
  });

  it('refuses an action token approved for a different body', async () => {
    const token = await scenario.actionToken();
    const before = scenario.snapshot();
    for (const args of [{ ...samplePayout, amount: 999 }, { ...samplePayout, recipient: 'Mallory' }, { ...samplePayout, memo: undefined }]) {
      const answer = await scenario.postPayout(token, { args });
      expectRefusal(answer, 403, 'insufficient_scope', /args_sha256/);
    }
    expect(scenario.snapshot()).toBe(before);
    // Key order and white space do not change the canonical hash: the approved call still runs.
    const reordered = JSON.stringify({ memo: samplePayout.memo, currency: 'EUR', amount: 250.0, recipient: samplePayout.recipient, accountId: 'acc_operating' }, null, 2);
    expect((await scenario.postPayout(token, { args: reordered })).status).toBe(201);
  });

  it('refuses a body whose hash was approved but whose amount or recipient differ from what the approver was shown', async () => {
    const actual = { ...samplePayout, amount: 999, recipient: 'Mallory' };
    const shown = { amount: 9, recipient: samplePayout.recipient, currency: 'EUR' };
    const token = await scenario.actionToken(actual, {
      authorization_details: [{ type: 'agent_action', tool: 'create_payout', args_sha256: testArgumentsHash(actual), ...shown }],
    });
    const before = scenario.snapshot();
    expectRefusal(await scenario.postPayout(token, { args: actual }), 403, 'insufficient_scope', /approved amount, recipient differ from the arguments/);
    expect(scenario.snapshot()).toBe(before);
    const honest = await scenario.actionToken(actual, {
      authorization_details: [{ type: 'agent_action', tool: 'create_payout', args_sha256: testArgumentsHash(actual), amount: 999, recipient: 'Mallory', currency: 'EUR' }],
    });
    expect((await scenario.postPayout(honest, { args: actual })).status).toBe(201);
  });

  it('refuses a routine token, an action for another tool, and an action for another API', async () => {
    const before = scenario.snapshot();
    const routine = await scenario.routineToken({ scope: 'payouts:write' });
    expectRefusal(await scenario.postPayout(routine), 403, 'insufficient_scope', /agent_action for create_payout/);
    const otherTool = await scenario.actionToken(samplePayout, { scope: 'payouts:write' }, 'rotate_signing_key');
    expectRefusal(await scenario.postPayout(otherTool), 403, 'insufficient_scope', /agent_action for create_payout/);
    const elsewhere = await scenario.actionToken(samplePayout, {
      authorization_details: [{ type: 'agent_action', tool: 'create_payout', args_sha256: testArgumentsHash(samplePayout), locations: ['https://other.example'] }],
    });
    expectRefusal(await scenario.postPayout(elsewhere), 403, 'insufficient_scope', /another resource \(locations\)/);
    const noApprover = await scenario.actionToken(samplePayout, { approvers: [] });
    expectRefusal(await scenario.postPayout(noApprover), 403, 'insufficient_scope', /1 distinct approver/);
    expect(scenario.snapshot()).toBe(before);
  });

  it('needs two distinct approvers above the dual-control threshold', async () => {
    const large = { ...samplePayout, amount: 5000 };
    const before = scenario.snapshot();
    const one = await scenario.actionToken(large);
    const refused = await scenario.postPayout(one, { args: large });
    expectRefusal(refused, 403, 'insufficient_scope', /2 distinct approvers; the token names 1/);
    const sameTwice = await scenario.actionToken(large, { approvers: [{ sub: 'alice', approved_at: now() - 9 }, { sub: 'alice', approved_at: now() - 2 }] });
    expectRefusal(await scenario.postPayout(sameTwice, { args: large }), 403, 'insufficient_scope', /names 1/);
    expect(scenario.snapshot()).toBe(before);

    const two = await scenario.actionToken(large, { approvers: [{ sub: 'alice', approved_at: now() - 9 }, { sub: 'bob', approved_at: now() - 2 }] });
    const accepted = await scenario.postPayout(two, { args: large });
    expect(accepted.status).toBe(201);
    expect((accepted.body.approvers as Array<{ sub: string }>).map((approver) => approver.sub)).toEqual(['alice', 'bob']);
    // At the threshold itself one approver is enough.
    const atThreshold = { ...samplePayout, amount: 1000 };
    expect((await scenario.postPayout(await scenario.actionToken(atThreshold), { args: atThreshold })).status).toBe(201);
  });

  it('refuses malformed bodies with 400/415 and leaves the token unspent', async () => {
    const token = await scenario.actionToken();
    const before = scenario.snapshot();
    expectRefusal(await scenario.postPayout(token, { args: '{"accountId": ' }), 400, 'invalid_request', /not valid JSON/);
    expectRefusal(await scenario.postPayout(token, { args: { ...samplePayout, amount: -5 } }), 400, 'invalid_request', /amount/);
    expectRefusal(await scenario.postPayout(token, { args: { ...samplePayout, amount: 1.001 } }), 400, 'invalid_request', /two decimal/);
    expectRefusal(await scenario.postPayout(token, { args: { ...samplePayout, extra: true } }), 400, 'invalid_request', /extra/);
    expectRefusal(await scenario.postPayout(token, { args: [] }), 400, 'invalid_request', /body/);
    expectRefusal(await scenario.postPayout(token, { headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type', /application\/json/);
    expect(scenario.snapshot()).toBe(before);
    expect((await scenario.postPayout(token)).status).toBe(201);
  });

  it('refuses a payout the treasury cannot make, changing nothing; the approval was for that one attempt', async () => {
    const tooMuch = { ...samplePayout, accountId: 'acc_usd_reserve', currency: 'USD', amount: 900 };
    const small = await startScenario({ accounts: [{ id: 'acc_usd_reserve', name: 'USD reserve', balance: 500, currency: 'USD' }] });
    try {
      const token = await small.actionToken(tooMuch);
      const before = small.snapshot();
      expectRefusal(await small.postPayout(token, { args: tooMuch }), 409, 'insufficient_funds', /balance/);
      const wrongCurrency = { ...tooMuch, currency: 'EUR', amount: 10 };
      expectRefusal(await small.postPayout(await small.actionToken(wrongCurrency), { args: wrongCurrency }), 422, 'currency_mismatch', /USD/);
      expect(small.snapshot()).toBe(before);
      // The enforcement point spent the token when it accepted the call: a retry needs a new approval.
      expectRefusal(await small.postPayout(token, { args: tooMuch }), 401, 'invalid_token', /already used/);
    } finally {
      await small.api.close();
    }
  });
});

describe('tool API: POST /admin/keys/rotate', { timeout: 30_000 }, () => {
  const args = { keyId: 'treasury-signing-1', reason: 'quarterly rotation' };

  it('always needs two distinct approvers, then rotates once', async () => {
    const before = scenario.snapshot();
    const single = await scenario.actionToken(args, {}, 'rotate_signing_key');
    expectRefusal(await rotate(single, args), 403, 'insufficient_scope', /2 distinct approvers/);
    const payoutScope = await scenario.actionToken(args, { scope: 'payouts:write' }, 'rotate_signing_key');
    const scoped = await rotate(payoutScope, args);
    expectRefusal(scoped, 403, 'insufficient_scope', /admin:keys/);
    expect(scoped.challenge?.scope).toBe('admin:keys');
    expect(scenario.snapshot()).toBe(before);

    const dual = await scenario.actionToken(args, { approvers: [{ sub: 'carol', approved_at: now() - 3 }, { sub: 'alice', approved_at: now() - 1 }] }, 'rotate_signing_key');
    const rotated = await rotate(dual, args);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ keyId: 'treasury-signing-1', version: 2, status: 'rotated' });
    const after = scenario.snapshot();
    expectRefusal(await rotate(dual, args), 401, 'invalid_token', /already used/);
    expect(scenario.snapshot()).toBe(after);
    expect(scenario.api.ledger.rotations()).toHaveLength(1);
  });
});

describe('argumentsHash (RFC 8785)', { timeout: 30_000 }, () => {
  it('agrees with the SDK canonicalSha256 on JSON values it computes independently', () => {
    const json = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown);
    fc.assert(fc.property(json, (value) => argumentsHash(value) === canonicalSha256(value)));
    expect(argumentsHash({ b: 1e21, a: 'é\u2028', c: [0.1, -0] })).toBe(canonicalSha256({ a: 'é\u2028', c: [0.1, 0], b: 1e21 }));
  });
});
