// The inbox says what it knows, in a real browser: "loading" until its first list arrives (never
// "nothing is waiting" before it knows), and "disconnected: the dev stack stopped" with a retry
// while the server is gone (never a bare "Failed to fetch"), then live again when it is back.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createInboxHandler, type InboxHandler } from './inbox-handler.js';
import { chromiumLaunchOptions } from './testing/chromium.js';
import { createMemoryDevApprovals, type MemoryDevApprovals } from './testing/memory-dev-approvals.js';

let browser: Browser;
let approvals: MemoryDevApprovals;
let inbox: InboxHandler;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];
const servers = new Set<Server>();

beforeAll(async () => {
  browser = await chromium.launch(chromiumLaunchOptions);
}, 60_000);
afterAll(() => browser.close(), 60_000);

beforeEach(async () => {
  approvals = createMemoryDevApprovals();
  inbox = createInboxHandler(approvals, { pollInterval: 500 });
  context = await browser.newContext();
  page = await context.newPage();
  pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 60_000);

afterEach(async () => {
  await context.close();
  inbox.close();
  approvals.close();
  for (const server of servers) await stop(server);
  expect(pageErrors).toEqual([]);
}, 60_000);

async function serve(port: number, hold?: (request: IncomingMessage) => Promise<void> | undefined): Promise<Server> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const waiting = hold?.(request);
    void (waiting ?? Promise.resolve()).then(() => {
      if (!inbox(request, response)) response.writeHead(404).end();
    });
  });
  servers.add(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

async function stop(server: Server): Promise<void> {
  servers.delete(server);
  if (!server.listening) return;
  inbox.close(); // ends the live streams, as the dev stack does when it stops
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

const text = (selector: string) => page.locator(selector).innerText();

describe('approval inbox: loading and connection states in Chromium', { timeout: 60_000 }, () => {
  it('shows "loading" until the first list arrives, then the real empty state', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const server = await serve(0, (request) => (request.url?.startsWith('/inbox/api/approvals') ? released : undefined));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/inbox`);

    await expect.poll(() => text('#pending-empty')).toBe('Loading the requests…');
    expect(await page.locator('body').getAttribute('data-state')).toBe('loading');
    expect(await text('body')).not.toContain('Nothing is waiting');

    release();
    await expect.poll(() => text('#pending-empty')).toBe('Nothing is waiting for approval.');
    expect(await text('#history-empty')).toBe('No decisions yet.');
    expect(await page.locator('body').getAttribute('data-state')).toBe('loaded');
  });

  it('says the dev stack stopped and retries, keeps what it showed, refuses to send a decision, and recovers', async () => {
    const request = approvals.add({
      bindingMessage: 'Pay 250 EUR to ACME Supplies Ltd',
      loginHint: 'alice',
      authorizationDetails: [{ type: 'agent_action', tool: 'create_payout', args_sha256: 'hash-1', amount: 250, currency: 'EUR', recipient: 'ACME Supplies Ltd' }],
    });
    const first = await serve(0);
    const port = (first.address() as AddressInfo).port;
    await page.goto(`http://127.0.0.1:${port}/inbox`);
    const card = page.locator(`article[data-approval-id="${request.id}"]`);
    await card.waitFor();
    await expect.poll(() => text('#connection')).toBe('Live');

    await stop(first);
    await expect.poll(() => text('#connection'), { timeout: 10_000 }).toBe('Disconnected, retrying every 1 s');
    expect(await page.locator('body').getAttribute('data-connection')).toBe('disconnected');
    await expect.poll(() => text('#page-error')).toMatch(/^Disconnected: the dev stack stopped or cannot be reached at 127\.0\.0\.1:\d+\. What you see may be out of date; retrying every 1 s\.$/);
    expect(await card.isVisible()).toBe(true); // what it knew stays on screen

    await card.getByRole('button', { name: /^Approve as/ }).click();
    await expect.poll(() => card.locator('.error, [role="alert"]').first().innerText()).toMatch(/^Not sent: cannot reach the dev stack at 127\.0\.0\.1:\d+ \(it may have stopped\)$/);
    expect(await text('body')).not.toContain('Failed to fetch');
    expect(approvals.get(request.id).status).toBe('pending');

    await serve(port);
    await expect.poll(() => text('#connection'), { timeout: 15_000 }).toBe('Live');
    await expect.poll(() => page.locator('#page-error').isHidden()).toBe(true);
    expect(await page.locator('body').getAttribute('data-connection')).toBe('live');
  });

  it('when the stack is down from the start, says so instead of "nothing is waiting"', async () => {
    // The page arrives, then the stack stops before the script's first API call is answered.
    const served = await serve(0, (request) => (request.url?.startsWith('/inbox/api/') ? new Promise<void>(() => undefined) : undefined));
    await page.goto(`http://127.0.0.1:${(served.address() as AddressInfo).port}/inbox`, { waitUntil: 'domcontentloaded' });
    await stop(served);
    await expect.poll(() => text('#connection'), { timeout: 10_000 }).toBe('Disconnected, retrying every 1 s');
    await expect.poll(() => text('#page-error')).toMatch(/No requests loaded yet; retrying every 1 s\.$/);
    expect(await text('#pending-empty')).toBe('Loading the requests…');
    expect(await text('body')).not.toContain('Nothing is waiting');
    expect(await text('body')).not.toContain('Failed to fetch');
  });
});
