/**
 * An agent calls an API protected by @countersign/server, on the devkit's local authorization
 * server (offline): a read with its routine DPoP-bound token; a request without one, refused; a
 * deletion that waits for a human to approve exactly that call, runs once, and cannot be replayed.
 *
 *   pnpm exec tsx examples/protect-your-api/main.ts                    # approve in the printed inbox
 *   pnpm exec tsx examples/protect-your-api/main.ts --approve-as alice # unattended
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { CountersignError, createAgent, generateKey, guardTool, type AccessToken } from '@countersign/core';
import { startDevStack } from '@countersign/devkit';
import { notesApi } from './notes-api.js';

const { values } = parseArgs({ options: { 'approve-as': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log('usage: pnpm exec tsx examples/protect-your-api/main.ts [--approve-as NAME]');
  process.exit(0);
}
const say = (line: string) => console.log(line);

// Your API listens first: its URL is the resource the authorization server issues tokens for.
const server = createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const stack = await startDevStack({ port: 0, toolApiPort: 0, resources: [{ url: api, scopes: ['notes:read', 'notes:delete'] }] });
server.on('request', await notesApi({ issuer: stack.issuer, resource: api }));
say(`API      ${api} (protected by @countersign/server)`);
say(`issuer   ${stack.issuer}; approval inbox ${stack.inboxUrl}`);

const key = await generateKey({ alg: 'ES256' });
const agent = await createAgent({ issuer: stack.issuer, clientId: 'notes-agent', key });
stack.registerAgent({ clientId: 'notes-agent', jwks: await agent.publicJwks(), scopes: ['notes:read', 'notes:delete'] });

try {
  const read = await agent.fetch(`${api}/notes`, { resource: api, scope: 'notes:read' });
  say(`read     GET /notes -> ${read.status} ${JSON.stringify(await read.json())}`);

  const anonymous = await fetch(`${api}/notes`);
  say(`refused  GET /notes without a token -> ${anonymous.status}, WWW-Authenticate: ${anonymous.headers.get('www-authenticate')}`);

  const used: AccessToken[] = [];
  const deleteNote = guardTool(agent, {
    name: 'delete_note',
    description: 'Deletes a note for good',
    schema: z.object({ id: z.string() }),
    risk: 'irreversible',
    resource: api,
    scope: 'notes:delete',
    approval: { approver: values['approve-as'] ?? 'alice', describe: (args) => `Delete note ${args.id}` },
    async execute(args, context) {
      used.push(context.token);
      const response = await context.fetch(`${api}/notes/delete`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args) });
      return { status: response.status, body: await response.json() };
    },
  });

  const pending = await deleteNote.invoke({ id: 'n-2' });
  if (pending.status !== 'approval_pending') throw new Error(`expected the deletion to wait for approval, got ${pending.status}`);
  say(`paused   delete_note waits for ${pending.approver}: "${pending.bindingMessage}"`);
  if (values['approve-as'] !== undefined) {
    const view = stack.approvals.list().find((candidate) => candidate.bindingMessage === pending.bindingMessage)!;
    await stack.approvals.approve(view.id, values['approve-as']);
    say(`approved as ${values['approve-as']} (--approve-as)`);
  } else {
    say(`         approve or deny it in the inbox: ${stack.inboxUrl}`);
  }
  const done = await deleteNote.resume(pending.approvalId, { id: 'n-2' }, { wait: true });
  if (done.status !== 'done') throw new Error(`delete_note ended ${done.status}`);
  say(`ran      POST /notes/delete -> ${done.result.status} ${JSON.stringify(done.result.body)}`);

  // The same approved token again, with a fresh proof: the API spent it on the first call.
  const replay = await agent
    .fetch(`${api}/notes/delete`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'n-2' }), token: used[0]! })
    .then(
      (response) => `${response.status}`,
      (error: unknown) => (CountersignError.isInstance(error) ? `${error.code}: ${error.message}` : Promise.reject(error)),
    );
  say(`refused  the same approval again -> ${replay}`);
} finally {
  await agent.close();
  await stack.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
