import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAgent, type TestAgent } from '../authorization-server/testing/test-agent.js';
import { startDevStack } from '../stack.js';
import { argumentsHash } from '../tool-api/action-authorization.js';
import type { DevStack } from '../types.js';
import { chromiumLaunchOptions } from './testing/chromium.js';

const CIBA = 'urn:openid:params:grant-type:ciba';
let stack: DevStack;
let browser: Browser;
let page: Page;
let agent: TestAgent;

beforeAll(async () => {
  stack = await startDevStack({ port: 0, toolApiPort: 0 });
  agent = await createTestAgent('inbox-e2e-agent', { issuer: stack.issuer });
  stack.registerAgent({ clientId: agent.clientId, jwks: agent.jwks, scopes: ['accounts:read', 'payouts:write'] });
  browser = await chromium.launch(chromiumLaunchOptions);
  page = await browser.newPage();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
}, 60_000);

async function askForPayout(args: Record<string, unknown>, bindingMessage: string): Promise<string> {
  const detail = { type: 'agent_action', tool: 'create_payout', args, args_sha256: argumentsHash(args), amount: args.amount, currency: args.currency, recipient: args.recipient };
  const response = await agent.post(
    `${stack.issuer}/backchannel`,
    {
      scope: 'openid payouts:write',
      resource: stack.toolApiUrl,
      login_hint: 'alice',
      binding_message: bindingMessage,
      authorization_details: JSON.stringify([detail]),
    },
    { dpop: false },
  );
  expect(response.status).toBe(200);
  return response.body.auth_req_id as string;
}

const pollToken = (authReqId: string) => agent.post(`${stack.issuer}/token`, { grant_type: CIBA, auth_req_id: authReqId });

/** The card of the pending request for exactly these arguments, found by its approval id. */
async function cardFor(args: Record<string, unknown>) {
  const view = stack.approvals.list().find((candidate) => candidate.status === 'pending' && candidate.argsSha256 === argumentsHash(args));
  expect(view).toBeDefined();
  const card = page.locator(`[data-testid="approval-card"][data-approval-id="${view!.id}"]`);
  await card.waitFor({ timeout: 10_000 });
  return card;
}

describe('approval inbox on the running dev stack', { timeout: 60_000 }, () => {
  it('shows every argument of a call whose description lies, flags the lie and the invisible character, and nothing is paid', async () => {
    const args = { accountId: 'acc_operating', recipient: 'Mallory Ltd', amount: 50000, currency: 'EUR', memo: 'invoice\u200B77', routing: { bank: 'Bаnk of Mallory', iban: 'XX00 1234' } };
    const authReqId = await askForPayout(args, 'Pay 5 EUR to ACME Supplies Ltd');
    await page.goto(stack.inboxUrl);
    const card = await cardFor(args);
    expect(await card.getByRole('heading', { level: 3 }).textContent()).toBe(
      'create_payout(accountId = "acc_operating", recipient = "Mallory Ltd", amount = 50000, currency = "EUR", memo = "invoice⟨U+200B⟩77", routing.bank = "Bаnk of Mallory", routing.iban = "XX00 1234")',
    );
    expect(await card.getByTestId('agent-says').textContent()).toBe('Pay 5 EUR to ACME Supplies Ltd');
    const table = card.locator('dl.arguments');
    const text = (await table.textContent())!;
    for (const shown of ['accountId', 'acc_operating', 'recipient', 'Mallory Ltd', 'amount', '50000', '50,000', 'currency', 'EUR', 'memo', 'invoice⟨U+200B⟩77', 'routing.bank', 'routing.iban', 'XX00 1234']) {
      expect(text).toContain(shown);
    }
    expect(await table.locator('.flag', { hasText: 'holds invisible characters' }).count()).toBe(1);
    expect(await table.locator('.flag', { hasText: 'mixes scripts' }).count()).toBe(1);
    expect(await table.locator('dd[data-path="routing.bank"] .flag.lookalike').allTextContents()).toEqual(['confusable characters: U+0430 looks like "a"']);
    expect(await card.locator('.agent-says-label').textContent()).toContain('The agent says');
    const warning = (await card.locator('.mismatch').textContent())!;
    expect(warning).toContain('5');
    expect(warning).toContain('ACME');
    expect(warning).toContain('Supplies');
    expect(await card.locator('.decision-rule').textContent()).toContain('alice');
    expect((await pollToken(authReqId)).body.error).toBe('authorization_pending');
  });

  it('a CIBA payout above the threshold is approved by two people in the page, then runs exactly once on the tool API', async () => {
    const routine = await agent.post(`${stack.issuer}/token`, { grant_type: 'client_credentials', scope: 'accounts:read', resource: stack.toolApiUrl });
    expect(routine.status).toBe(200);
    const accounts = await agent.call('GET', `${stack.toolApiUrl}/accounts`, routine.body.access_token);
    expect(accounts.status).toBe(200);
    const balanceBefore = (accounts.body.accounts as Array<{ id: string; balance: number }>).find((account) => account.id === 'acc_operating')!.balance;

    await page.goto(stack.inboxUrl);
    await expect.poll(() => page.locator('#connection').textContent()).toBe('Live');

    const args = { accountId: 'acc_operating', recipient: 'Northwind Logistics', amount: 4200, currency: 'EUR', memo: 'Invoice 2026-131' };
    const authReqId = await askForPayout(args, 'Pay 4200 EUR to Northwind Logistics');
    const card = await cardFor(args);
    expect(await card.innerText()).toContain('inbox-e2e-agent');
    expect(await card.locator('.progress-text').textContent()).toBe('0 of 2 approvals');

    await page.getByLabel('Acting as').selectOption('alice');
    await card.getByRole('button', { name: /^Approve as Alice/ }).click();
    await expect.poll(() => card.locator('.progress-text').textContent()).toBe('1 of 2 approvals');
    const pending = await pollToken(authReqId);
    expect(pending.body).toMatchObject({ error: 'authorization_pending', approvals_required: 2, approvals_received: [{ sub: 'alice' }] });

    const aliceAgain = card.getByRole('button', { name: /^Approve as Alice/ });
    await expect.poll(() => aliceAgain.isDisabled()).toBe(true);
    expect(await aliceAgain.getAttribute('title')).toMatch(/^alice already approved this request; the next approval must come from one of: .*bob/);

    await page.getByLabel('Acting as').selectOption('bob');
    await card.getByRole('button', { name: /^Approve as Bob/ }).click();
    const entry = page.locator('#history li', { hasText: 'Pay 4200 EUR to Northwind Logistics' });
    await entry.waitFor();
    expect(await entry.innerText()).toMatch(/Approved by Alice .*, Bob .*\(2 of 2\)/);

    await new Promise((resolve) => setTimeout(resolve, 1100)); // the server's poll interval
    const approved = await pollToken(authReqId);
    expect(approved.status).toBe(200);
    const actionToken = approved.body.access_token as string;

    const paid = await agent.call('POST', `${stack.toolApiUrl}/payouts`, actionToken, args);
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({ status: 'executed', amount: 4200, approvers: [{ sub: 'alice' }, { sub: 'bob' }] });
    const again = await agent.call('POST', `${stack.toolApiUrl}/payouts`, actionToken, args);
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('invalid_token');
    const after = await agent.call('GET', `${stack.toolApiUrl}/accounts`, routine.body.access_token);
    expect((after.body.accounts as Array<{ id: string; balance: number }>).find((account) => account.id === 'acc_operating')!.balance).toBe(balanceBefore - 4200);
  });

  it('disables Approve and Deny, saying why, for someone the request is not addressed to', async () => {
    const args = { accountId: 'acc_operating', recipient: 'Contoso Cleaning', amount: 180, currency: 'EUR' };
    const authReqId = await askForPayout(args, 'Pay 180 EUR to Contoso Cleaning');
    const card = await cardFor(args);
    await page.getByLabel('Acting as').selectOption('bob');
    const approve = card.getByRole('button', { name: /^Approve as Bob/ });
    const deny = card.getByRole('button', { name: 'Deny…' });
    await expect.poll(() => approve.isDisabled()).toBe(true);
    expect(await deny.isDisabled()).toBe(true);
    expect(await approve.getAttribute('title')).toMatch(/^only alice may decide this request/);
    expect(await deny.getAttribute('aria-description')).toMatch(/^only alice may decide this request/);
    expect(await card.locator('.why-not').textContent()).toContain('only alice may decide this request');
    await page.getByLabel('Acting as').selectOption('alice');
    await expect.poll(() => card.getByRole('button', { name: /^Approve as Alice/ }).isDisabled()).toBe(false);
    expect(await deny.isDisabled()).toBe(false);
    expect(await card.locator('.why-not').isHidden()).toBe(true);
    expect((await pollToken(authReqId)).body.error).toBe('authorization_pending');
  });

  it('a payout denied in the page with a reason is access_denied for the agent', async () => {
    const args = { accountId: 'acc_operating', recipient: 'Quick Cash Ltd', amount: 300, currency: 'EUR' };
    const authReqId = await askForPayout(args, 'Pay 300 EUR to Quick Cash Ltd');
    const card = await cardFor(args);
    await page.getByLabel('Acting as').selectOption('alice');
    await card.getByRole('button', { name: 'Deny…' }).click();
    await card.getByLabel('Reason for denying').fill('Recipient not on the vendor list');
    await card.getByRole('button', { name: 'Confirm deny' }).click();
    await page.locator('#history li', { hasText: 'Recipient not on the vendor list' }).waitFor();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const denied = await pollToken(authReqId);
    expect(denied.status).toBe(400);
    expect(denied.body.error).toBe('access_denied');
  });
});
