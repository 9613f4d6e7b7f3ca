import { z } from 'zod';
import { HumanMessage, AIMessage, ToolMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { createAgent as createLangChainAgent } from 'langchain';
import { MemorySaver } from '@langchain/langgraph';
import { startDevStack } from '../../../devkit/src/index.js';
import { createAgent } from '../../../core/src/agent.js';
import { generateKey } from '../../../core/src/keys/generate-key.js';
import { guardTool } from '../../../core/src/tools/guard-tool.js';
import { countersignTool } from '../countersign-tool.js';
import { resumeWhenDecided } from '../resume-when-decided.js';

const stack = await startDevStack({ port: 0, toolApiPort: 0 });
try {
  const key = await generateKey();
  const agent = await createAgent({ issuer: stack.issuer, clientId: 'lc-agent', key });
  stack.registerAgent({ clientId: 'lc-agent', jwks: await agent.publicJwks(), scopes: ['accounts:read', 'payouts:write'] });
  const payout = guardTool(agent, {
    name: 'create_payout', description: 'pay', schema: z.object({ accountId: z.string(), recipient: z.string(), amount: z.number(), currency: z.string() }),
    risk: 'irreversible', resource: stack.toolApiUrl, scope: 'payouts:write',
    approval: { approver: 'alice', describe: (a) => `Pay ${a.amount} ${a.currency} to ${a.recipient}`, details: (a) => ({ amount: a.amount, currency: a.currency, recipient: a.recipient }) },
    async execute(args, { fetch }) {
      const r = await fetch(`${stack.toolApiUrl}/payouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args) });
      return await r.json();
    },
  });
  const accountsRes = await agent.fetch(`${stack.toolApiUrl}/accounts`, { resource: stack.toolApiUrl, scope: 'accounts:read' });
  const accounts: any = await accountsRes.json();
  console.log('accounts', JSON.stringify(accounts));
  const acc = accounts.accounts[0];
  const args = { accountId: acc.id, recipient: 'ACME', amount: 250, currency: acc.currency };
  const tools = [countersignTool(payout)];
  const model = fakeModel().respondWithTools([{ name: 'create_payout', args, id: 'call-1' }]).respond((m) => new AIMessage('saw ' + m.filter(ToolMessage.isInstance).at(-1)?.content));
  const lc = createLangChainAgent({ model, tools, checkpointer: new MemorySaver() });
  const config = { configurable: { thread_id: 't' } };
  const r1: any = await lc.invoke({ messages: [new HumanMessage('pay')] }, config);
  console.log('interrupt', JSON.stringify(r1.__interrupt__));
  const view = stack.approvals.list().find((v) => v.argsSha256 === r1.__interrupt__[0].value.argsSha256)!;
  console.log('view', view.id, view.status, view.bindingMessage);
  await stack.approvals.approve(view.id, 'alice');
  console.log('approved', JSON.stringify(stack.approvals.get(view.id)));
  const o = await payout.resume(r1.__interrupt__[0].value.approvalId, args, { callId: 't/call-1' });
  console.log('direct resume', o.status, (o as any).error?.message, (o as any).result);
  const res = await resumeWhenDecided(lc, config, { tools, pollIntervalMs: 500 });
  console.log('result', res.settlements, res.state?.messages.map((m: any) => [m.getType(), m.content]));
  await agent.close();
} finally { await stack.close(); }
