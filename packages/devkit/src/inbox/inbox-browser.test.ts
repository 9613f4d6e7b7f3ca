import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createInboxHandler, type InboxHandler } from './inbox-handler.js';
import { chromiumLaunchOptions } from './testing/chromium.js';
import { createMemoryDevApprovals, type MemoryDevApprovals } from './testing/memory-dev-approvals.js';

let browser: Browser;
let approvals: MemoryDevApprovals;
let inbox: InboxHandler;
let server: Server;
let inboxUrl: string;
let context: BrowserContext;
let page: Page;
let pageProblems: string[];

/** Inside the repository's ignored state folder, never the system temporary folder. */
const screenshotPath = fileURLToPath(new URL('../../../../.countersign/screenshots/inbox.png', import.meta.url));

beforeAll(async () => {
  browser = await chromium.launch(chromiumLaunchOptions);
}, 60_000);
afterAll(() => browser.close(), 60_000);

beforeEach(async () => {
  approvals = createMemoryDevApprovals();
  inbox = createInboxHandler(approvals, { pollInterval: 500 });
  server = createServer((request, response) => {
    if (!inbox(request, response)) response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  inboxUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/inbox`;
  context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  page = await context.newPage();
  pageProblems = [];
  page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource|EventSource/.test(message.text())) pageProblems.push(message.text());
  });
}, 60_000);

afterEach(async () => {
  await context.close();
  inbox.close();
  approvals.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  // No script error and no CSP violation on the page.
  expect(pageProblems).toEqual([]);
}, 60_000);

function payoutRequest(amount: number, requiredApprovals = 1, bindingMessage = `Pay ${amount} EUR to ACME Supplies Ltd`) {
  const recipient = /to (.+?)(?: \(|$)/.exec(bindingMessage)![1]!;
  const args = { accountId: 'acc_operating', recipient, amount, currency: 'EUR' };
  return approvals.add({
    bindingMessage,
    clientId: 'payout-agent',
    loginHint: 'alice',
    requiredApprovals,
    authorizationDetails: [
      // The double does not check the hash: any digest that differs whenever the arguments do.
      { type: 'agent_action', tool: 'create_payout', args, args_sha256: createHash('sha256').update(JSON.stringify(args)).digest('base64url'), amount, currency: 'EUR', recipient },
    ],
  });
}

const card = (id: string) => page.locator(`[data-testid="approval-card"][data-approval-id="${id}"]`);
const historyEntry = (id: string) => page.locator(`#history li[data-approval-id="${id}"]`);

async function actAs(approver: string): Promise<void> {
  await page.getByLabel('Acting as').selectOption(approver);
}

describe('approval inbox in Chromium', { timeout: 60_000 }, () => {
  it('lists a pending request with its details, a ticking time left, and agent text shown as text', async () => {
    const hostile = approvals.add({
      bindingMessage: '<img src=x onerror="window.pwned=1">Pay 90 EUR <b>now</b>',
      clientId: 'agent-"><script>window.pwned=2</script>',
      authorizationDetails: [{ type: 'agent_action', tool: 'create_payout', args_sha256: 'hash-1', amount: 90, currency: 'EUR', recipient: '<svg onload=alert(1)>' }],
    });
    await page.goto(inboxUrl);
    const entry = card(hostile.id);
    await entry.waitFor();
    await expect.poll(() => entry.getByTestId('agent-says').textContent()).toBe('<img src=x onerror="window.pwned=1">Pay 90 EUR <b>now</b>');
    // The headline is the call, not the agent's words: this request sent no arguments, and says so.
    expect(await entry.getByRole('heading', { level: 3 }).textContent()).toBe('create_payout: no arguments were sent with this request');
    expect(await entry.locator('img, b, svg, script').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    const text = await entry.innerText();
    expect(text).toContain('agent-"><script>window.pwned=2</script>');
    expect(text).toContain('create_payout');
    expect(text).toContain('90.00 EUR');
    expect(text).toContain('<svg onload=alert(1)>');
    expect(text).toContain('hash-1');
    expect(text).toContain('0 of 1 approval');

    const timeLeft = entry.locator('.time-left');
    const first = await timeLeft.textContent();
    expect(first).toMatch(/^[45]:\d\d$/);
    await expect.poll(() => timeLeft.textContent(), { timeout: 4000 }).not.toBe(first);
  });

  it('approves a request as the chosen approver', async () => {
    const request = payoutRequest(250);
    await page.goto(inboxUrl);
    await card(request.id).waitFor();
    await actAs('alice');
    await card(request.id).getByRole('button', { name: 'Approve as Alice Martin' }).click();
    await historyEntry(request.id).waitFor();
    expect(await card(request.id).count()).toBe(0);
    expect(await historyEntry(request.id).innerText()).toMatch(/Approved[\s\S]*Approved by Alice Martin \(1 of 1\)/);
    expect(approvals.get(request.id)).toMatchObject({ status: 'approved', approvals: [{ approver: 'alice' }] });
  });

  it('denies a request with a reason', async () => {
    const request = payoutRequest(400);
    await page.goto(inboxUrl);
    await actAs('bob');
    const entry = card(request.id);
    await entry.getByRole('button', { name: 'Deny…' }).click();
    await entry.getByLabel('Reason for denying').fill('Unknown supplier <script>');
    await entry.getByRole('button', { name: 'Confirm deny' }).click();
    await historyEntry(request.id).waitFor();
    expect(await historyEntry(request.id).innerText()).toContain('Denied by Bob Okafor: Unknown supplier <script>');
    expect(approvals.get(request.id)).toMatchObject({ status: 'denied', denial: { approver: 'bob', reason: 'Unknown supplier <script>' } });
  });

  it('shows dual control progress, refuses the same approver twice, and completes with a second person', async () => {
    const request = payoutRequest(5000, 2);
    await page.goto(inboxUrl);
    const entry = card(request.id);
    await entry.waitFor();
    expect(await entry.innerText()).toContain('Dual control');
    expect(await entry.locator('.progress-text').textContent()).toBe('0 of 2 approvals');

    await actAs('alice');
    await entry.getByRole('button', { name: 'Approve as Alice Martin' }).click();
    await expect.poll(() => entry.locator('.progress-text').textContent()).toBe('1 of 2 approvals');
    expect(await entry.locator('.approved-by').textContent()).toBe('approved by Alice Martin');
    expect(await entry.locator('progress').evaluate((bar: HTMLProgressElement) => [bar.value, bar.max])).toEqual([1, 2]);

    const again = entry.getByRole('button', { name: 'Approve as Alice Martin' });
    await expect.poll(() => again.isDisabled()).toBe(true);
    expect(await again.getAttribute('title')).toMatch(/^alice already approved this request; the next approval must come from one of: bob, carol/);
    expect(await again.getAttribute('aria-description')).toBe(await again.getAttribute('title'));
    expect(await entry.locator('.why-not').textContent()).toContain('alice already approved');
    expect(await entry.getByRole('button', { name: 'Deny…' }).isDisabled()).toBe(false);
    expect(approvals.get(request.id).approvals).toHaveLength(1);

    await actAs('bob');
    expect(await entry.getByRole('button', { name: 'Approve as Bob Okafor' }).getAttribute('title')).toBeNull();
    expect(await entry.locator('.why-not').isHidden()).toBe(true);
    await entry.getByRole('button', { name: 'Approve as Bob Okafor' }).click();
    await historyEntry(request.id).waitFor();
    expect(await historyEntry(request.id).innerText()).toContain('Approved by Alice Martin, Bob Okafor (2 of 2)');
    expect(approvals.get(request.id)).toMatchObject({ status: 'approved', approvals: [{ approver: 'alice' }, { approver: 'bob' }] });
  });

  it('shows new requests and decisions made elsewhere without a reload', async () => {
    await page.goto(inboxUrl);
    await expect.poll(() => page.locator('#connection').textContent()).toBe('Live');
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    expect(await page.locator('#pending-empty').isVisible()).toBe(true);

    const request = payoutRequest(75);
    await card(request.id).waitFor({ timeout: 5000 });
    expect(await page.locator('#pending-count').textContent()).toBe('1');
    await approvals.deny(request.id, 'carol', 'decided in the terminal');
    await historyEntry(request.id).waitFor({ timeout: 5000 });
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
  });

  it('falls back to polling when the live stream is unavailable', async () => {
    await page.route('**/inbox/api/events', (route) => route.abort());
    await page.goto(inboxUrl);
    await expect.poll(() => page.locator('#connection').textContent()).toMatch(/^Reconnecting/);
    const request = payoutRequest(60);
    await card(request.id).waitFor({ timeout: 5000 });
  });

  it('moves a request that runs out of time to the history as expired', async () => {
    // 6 s to live: long enough for a loaded machine to show the card first, short enough to see it expire.
    const request = approvals.add({ bindingMessage: 'Rotate key treasury-signing-1', ttl: 6, requiredApprovals: 2, authorizationDetails: [{ type: 'agent_action', tool: 'rotate_signing_key', args_sha256: 'h', keyId: 'treasury-signing-1' }] });
    await page.goto(inboxUrl);
    await card(request.id).waitFor();
    expect(await card(request.id).innerText()).toContain('treasury-signing-1');
    await historyEntry(request.id).waitFor({ timeout: 15_000 });
    expect(await historyEntry(request.id).innerText()).toMatch(/Expired[\s\S]*Expired with 0 of 2 approvals/);
  });

  it('heads each card with the call itself: every argument, nested ones too, invisible characters shown as escapes', async () => {
    const args = { accountId: 'acc_operating', recipient: 'Mallory Ltd', amount: 50000, currency: 'EUR', memo: 'invoice\u200B77<b>', routing: { bank: 'Bank of Mallory', lines: ['IBAN XX00', 7] }, tags: [] };
    const request = approvals.add({
      bindingMessage: 'Pay 5 EUR to ACME Supplies Ltd',
      authorizationDetails: [{ type: 'agent_action', tool: 'create_payout', args, args_sha256: 'hash-headline' }],
    });
    await page.goto(inboxUrl);
    const entry = card(request.id);
    await entry.waitFor();
    const headline = entry.getByRole('heading', { level: 3 });
    expect(await headline.textContent()).toBe(
      'create_payout(accountId = "acc_operating", recipient = "Mallory Ltd", amount = 50000, currency = "EUR", memo = "invoice⟨U+200B⟩77<b>", routing.bank = "Bank of Mallory", routing.lines[0] = "IBAN XX00", routing.lines[1] = 7, tags = "[]")',
    );
    expect(await entry.getAttribute('aria-labelledby')).toBe(await headline.getAttribute('id'));
    expect(await entry.locator('b').count()).toBe(0);
    // The agent's words come after the call, labelled as the agent's.
    const order = await entry.evaluate((root) => {
      const heading = root.querySelector('h3')!;
      const says = root.querySelector('[data-testid="agent-says"]')!;
      return heading.compareDocumentPosition(says) & Node.DOCUMENT_POSITION_FOLLOWING;
    });
    expect(order).toBeTruthy();
    expect(await entry.locator('.agent-says-label').textContent()).toBe('The agent says (its own words, not checked):');
  });

  it('flags a name that imitates another known one, and characters confusable with Latin letters', async () => {
    const honest = approvals.add({
      bindingMessage: 'Pay 20 EUR to Mallory Ltd',
      authorizationDetails: [{ type: 'agent_action', tool: 'create_payout', args: { recipient: 'Mallory Ltd', amount: 20 }, args_sha256: 'hash-honest' }],
    });
    const imitation = approvals.add({
      bindingMessage: 'Pay 30 EUR to Mallory Ltd',
      authorizationDetails: [{ type: 'agent_action', tool: 'create_payout', args: { recipient: 'M\u0430llory Ltd', amount: 30, note: 'AIice Martin' }, args_sha256: 'hash-imitation' }],
    });
    await page.goto(inboxUrl);
    const entry = card(imitation.id);
    await entry.waitFor();
    const recipient = entry.locator('dd[data-path="recipient"]');
    await expect.poll(() => recipient.locator('.flag.lookalike').allTextContents()).toEqual([
      'confusable characters: U+0430 looks like "a"',
      'looks like Mallory Ltd but is not the same name',
    ]);
    expect(await recipient.locator('.flag', { hasText: 'mixes scripts' }).count()).toBe(1);
    expect(await entry.locator('dd[data-path="note"] .flag.lookalike').allTextContents()).toEqual(['looks like Alice Martin but is not the same name']);
    expect(await entry.locator('dd[data-path="amount"] .flag').count()).toBe(0);
    // The honest name is flagged too: two names that look the same, either may be the imitation.
    expect(await card(honest.id).locator('dd[data-path="recipient"] .flag.lookalike').allTextContents()).toEqual(['looks like Mаllory Ltd but is not the same name']);
  });

  it('groups repeats of the same call from the same agent, with a count, and each stays decidable on its own', async () => {
    const repeat = (clientId = 'payout-agent') =>
      approvals.add({
        bindingMessage: 'Pay 70 EUR to Repeat Ltd',
        clientId,
        authorizationDetails: [{ type: 'agent_action', tool: 'create_payout', args: { recipient: 'Repeat Ltd', amount: 70 }, args_sha256: 'hash-repeat' }],
      });
    const first = repeat();
    const second = repeat();
    const third = repeat();
    const otherAgent = repeat('other-agent');
    const single = payoutRequest(71);
    await page.goto(inboxUrl);
    const group = page.getByTestId('repeat-group');
    await expect.poll(() => group.count()).toBe(1);
    expect(await group.getAttribute('data-group-size')).toBe('3');
    expect(await group.locator('.repeat-count').textContent()).toBe('3');
    expect(await group.locator('.repeat-title').textContent()).toBe('Asked 3 times by payout-agent: the same tool (create_payout) with the same arguments');
    for (const request of [first, second, third]) expect(await group.locator(`[data-approval-id="${request.id}"]`).count()).toBe(1);
    for (const request of [otherAgent, single]) {
      expect(await card(request.id).count()).toBe(1);
      expect(await group.locator(`[data-approval-id="${request.id}"]`).count()).toBe(0);
    }
    expect(await page.locator('#pending-count').textContent()).toBe('5');

    await actAs('alice');
    await card(second.id).getByRole('button', { name: 'Deny…' }).click();
    await card(second.id).getByLabel('Reason for denying').fill('a repeat');
    await card(second.id).getByRole('button', { name: 'Confirm deny' }).click();
    await historyEntry(second.id).waitFor();
    await expect.poll(() => group.getAttribute('data-group-size')).toBe('2');
    expect(approvals.get(first.id).status).toBe('pending');
    await approvals.deny(third.id, 'bob', 'a repeat');
    // One left: no group any more, the card stands on its own.
    await expect.poll(() => group.count()).toBe(0);
    expect(await card(first.id).isVisible()).toBe(true);
  });

  it('looks right (screenshot to .countersign/screenshots/inbox.png, ignored by git)', async () => {
    const done = payoutRequest(120);
    await approvals.approve(done.id, 'alice');
    const refused = payoutRequest(9800, 2, 'Pay 9800 EUR to Quick Cash Ltd');
    await approvals.deny(refused.id, 'bob', 'Recipient not on the vendor list');
    payoutRequest(250);
    const dual = payoutRequest(4200, 2, 'Pay 4200 EUR to Northwind Logistics (invoice 2026-131)');
    await approvals.approve(dual.id, 'alice');
    approvals.add({
      bindingMessage: 'Rotate signing key treasury-signing-1 (quarterly rotation)',
      clientId: 'ops-agent',
      loginHint: 'carol',
      scope: 'openid admin:keys',
      requiredApprovals: 2,
      authorizationDetails: [{ type: 'agent_action', tool: 'rotate_signing_key', args_sha256: 'u4vG8m2sJ0cZbQ1yX7kT3pW9nR5eH6aL0dF2gC8iV1o', keyId: 'treasury-signing-1' }],
    });
    await page.goto(inboxUrl);
    await page.getByTestId('approval-card').nth(2).waitFor();
    await actAs('bob');
    await page.screenshot({ path: screenshotPath, fullPage: true });
    expect(await page.getByTestId('approval-card').count()).toBe(3);
    expect(await page.locator('#history li').count()).toBe(2);
  });
});
