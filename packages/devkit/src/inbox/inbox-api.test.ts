import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createInboxHandler, type InboxHandler } from './inbox-handler.js';
import { createMemoryDevApprovals, type MemoryDevApprovals } from './testing/memory-dev-approvals.js';

let approvals: MemoryDevApprovals;
let inbox: InboxHandler;
let server: Server;
let base: string;

beforeAll(async () => {
  approvals = createMemoryDevApprovals();
  inbox = createInboxHandler(approvals);
  server = createServer((request, response) => {
    if (!inbox(request, response)) response.writeHead(418).end('not the inbox');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  inbox.close();
  approvals.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown>;
}

function call(path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${base}${path}`, { method: options.method ?? 'GET', headers: options.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // not JSON (the page)
        }
        resolve({ status: response.statusCode!, headers: response.headers, text, json });
      });
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

const pageHeaders = (origin = base) => ({ 'content-type': 'application/json', 'x-countersign-inbox': '1', origin, 'sec-fetch-site': 'same-origin' });
const post = (path: string, body: unknown, headers: Record<string, string> = pageHeaders()) =>
  call(`/inbox/api${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

function newRequest(requiredApprovals = 1) {
  return approvals.add({
    bindingMessage: 'Pay 250 EUR to ACME',
    requiredApprovals,
    authorizationDetails: [{ type: 'agent_action', tool: 'create_payout', args_sha256: 'abc', amount: 250, currency: 'EUR' }],
  });
}

describe('inbox JSON API', () => {
  afterEach(() => expect(approvals.list().every((view) => view.approvals.length <= view.requiredApprovals)).toBe(true));

  it('serves the page with a strict CSP and leaves other paths to the server', async () => {
    const page = await call('/inbox');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
    expect(page.text).toContain(`<script nonce="${nonce}">`);
    expect(page.text).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|https?:\/\/(?!www\.w3)/);
    expect((await call('/inbox/')).status).toBe(200);
    expect((await call('/token')).status).toBe(418);
    expect((await call('/inboxes')).status).toBe(418);
    expect((await call('/inbox/api/nope')).status).toBe(404);
  });

  it('lists approvals and approvers', async () => {
    const view = newRequest();
    const list = await call('/inbox/api/approvals');
    expect(list.status).toBe(200);
    expect((list.json.approvals as Array<{ id: string }>).some((entry) => entry.id === view.id)).toBe(true);
    expect(typeof list.json.now).toBe('string');
    const people = await call('/inbox/api/approvers');
    expect((people.json.approvers as Array<{ id: string }>).map((approver) => approver.id)).toEqual(['alice', 'bob', 'carol']);
  });

  it('approves and denies, with registry refusals mapped to their status and code', async () => {
    const single = newRequest();
    const approved = await post(`/approvals/${single.id}/approve`, { approver: 'alice' });
    expect(approved.status).toBe(200);
    expect(approved.json.approval).toMatchObject({ id: single.id, status: 'approved' });
    const again = await post(`/approvals/${single.id}/deny`, { approver: 'bob', reason: 'late' });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ error: 'already_decided', error_description: expect.stringMatching(/already approved/) });

    const dual = newRequest(2);
    expect((await post(`/approvals/${dual.id}/approve`, { approver: 'alice' })).json.approval).toMatchObject({ status: 'pending' });
    const twice = await post(`/approvals/${dual.id}/approve`, { approver: 'alice' });
    expect(twice.status).toBe(409);
    expect(twice.json.error).toBe('already_approved');
    expect(approvals.get(dual.id).approvals).toHaveLength(1);

    const unknown = await post(`/approvals/${dual.id}/approve`, { approver: 'mallory' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toBe('unknown_approver');
    expect((await post('/approvals/no-such-id/approve', { approver: 'alice' })).status).toBe(404);

    const denied = await post(`/approvals/${dual.id}/deny`, { approver: 'bob', reason: 'not in the budget' });
    expect(denied.json.approval).toMatchObject({ status: 'denied', denial: { approver: 'bob', reason: 'not in the budget' } });
  });

  it('refuses an expired request with 410', async () => {
    const view = approvals.add({ bindingMessage: 'short-lived', ttl: 0.05 });
    await new Promise((resolve) => setTimeout(resolve, 80));
    const late = await post(`/approvals/${view.id}/approve`, { approver: 'alice' });
    expect(late.status).toBe(410);
    expect(late.json.error).toBe('expired');
  });

  it('refuses malformed bodies with 400 and changes nothing', async () => {
    const view = newRequest(2);
    const bodies = ['{"approver":', '[]', '"alice"', { approver: 42 }, { approver: '' }, { approver: 'alice', extra: 1 }, { approver: 'a'.repeat(65) }];
    for (const body of bodies) {
      const reply = await post(`/approvals/${view.id}/approve`, body);
      expect(reply.status).toBe(400);
      expect(reply.json.error).toBe('invalid_request');
      expect(typeof reply.json.error_description).toBe('string');
    }
    const huge = await post(`/approvals/${view.id}/deny`, { approver: 'alice', reason: 'x'.repeat(10_000) });
    expect(huge.status).toBe(400);
    const wrongType = await post(`/approvals/${view.id}/approve`, { approver: 'alice' }, { ...pageHeaders(), 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(400);
    expect(approvals.get(view.id)).toMatchObject({ status: 'pending', approvals: [] });
  });

  it('refuses cross-site POSTs (CSRF) and foreign Host names (DNS rebinding)', async () => {
    const view = newRequest();
    const { 'x-countersign-inbox': _, ...withoutHeader } = pageHeaders();
    const attempts = [
      withoutHeader,
      pageHeaders('http://evil.example'),
      pageHeaders('null'),
      { ...pageHeaders(), 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of attempts) {
      const reply = await post(`/approvals/${view.id}/approve`, { approver: 'alice' }, headers);
      expect(reply.status).toBe(403);
    }
    const rebound = await call('/inbox/api/approvals', { headers: { host: 'evil.example:4000' } });
    expect(rebound.status).toBe(421);
    const reboundPost = await post(`/approvals/${view.id}/approve`, { approver: 'alice' }, { ...pageHeaders('http://evil.example:4000'), host: 'evil.example:4000' });
    expect(reboundPost.status).toBe(421);
    expect(approvals.get(view.id)).toMatchObject({ status: 'pending', approvals: [] });
    // A client without Origin (curl, a script) that sends the header is fine.
    const { origin: __, 'sec-fetch-site': ___, ...scripted } = pageHeaders();
    expect((await post(`/approvals/${view.id}/approve`, { approver: 'alice' }, scripted)).status).toBe(200);
  });

  it('streams every change as a Server-Sent Event', async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/inbox/api/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const nextEvent = async (): Promise<Record<string, unknown>> => {
      for (;;) {
        const match = /event: approval\ndata: (.*)\n\n/.exec(buffer);
        if (match) {
          buffer = buffer.slice(match.index + match[0].length);
          return JSON.parse(match[1]!) as Record<string, unknown>;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    };
    const view = approvals.add({ bindingMessage: 'line one\nline two </script><img src=x>' });
    expect(await nextEvent()).toMatchObject({ id: view.id, status: 'pending', bindingMessage: 'line one\nline two </script><img src=x>' });
    await approvals.approve(view.id, 'carol');
    expect(await nextEvent()).toMatchObject({ id: view.id, status: 'approved' });
    controller.abort();
  });
});
