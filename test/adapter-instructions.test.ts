/**
 * The model gets the same instruction from every adapter: the real guard's outcomes (on the
 * devkit's authorization server) as LangChain, OpenAI and the AI SDK hand them to the model each
 * end with core's one instruction for that outcome, and a done call carries none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolOutcome } from '@countersign/core';
import { MODEL_INSTRUCTIONS, modelInstruction, modelOutcomeKind, type ModelOutcomeKind } from '@countersign/core/adapters';
import { useGuardTestBench } from '@countersign/core/testing';
import { startDevStack } from '@countersign/devkit';
import { toolCallContent as aiSdkContent } from '@countersign/ai-sdk';
import { formatToolOutcome } from '@countersign/openai';
import { toolMessageFields } from '../packages/langchain/src/tool-messages.js';
import { UnknownToolError } from '../packages/openai/src/errors.js';

const useBench = useGuardTestBench({ beforeAll, afterAll }, () => startDevStack({ port: 0, toolApiPort: 0 }));
const outcomes = new Map<ModelOutcomeKind, ToolOutcome<unknown>>();
const payout = (recipient: string) => ({ accountId: 'acc-1', recipient, amount: 250, currency: 'EUR' });

beforeAll(async () => {
  const bench = useBench();
  const keep = (outcome: ToolOutcome<unknown>) => outcomes.set(modelOutcomeKind(outcome), outcome);
  const tools = await bench.tools();

  bench.failNextTokenRequest({ error: new Error('connect ECONNREFUSED') });
  keep(await tools.listAccounts.invoke({})); // failed: the routine token could not be had
  keep(await tools.listAccounts.invoke({})); // done
  keep(await tools.createPayout.invoke({ ...payout('ACME'), amount: -1 })); // invalid_arguments
  const pending = await tools.createPayout.invoke(payout('ACME'));
  keep(pending); // approval_pending
  if (pending.status !== 'approval_pending') throw new Error(`expected approval_pending, got ${pending.status}`);
  keep(await tools.createPayout.resume(pending.approvalId, payout('Globex'))); // arguments_changed
  const shortLived = await bench.tools({ requestedExpiry: 2 });
  const expiring = await shortLived.createPayout.invoke(payout('Hooli'));
  if (expiring.status !== 'approval_pending') throw new Error(`expected approval_pending, got ${expiring.status}`);
  const denied = await tools.createPayout.invoke(payout('Initech'));
  if (denied.status !== 'approval_pending') throw new Error(`expected approval_pending, got ${denied.status}`);
  await tools.deny(denied.approvalId, 'not on the vendor list');
  keep(await tools.createPayout.resume(denied.approvalId, payout('Initech'), { wait: true })); // denied
  keep(await shortLived.createPayout.resume(expiring.approvalId, payout('Hooli'), { wait: true })); // expired: nobody decided

  const failing = await bench.tools({ payoutFailure: new Error('insufficient funds') });
  const approved = await failing.createPayout.invoke(payout('Umbrella'));
  if (approved.status !== 'approval_pending') throw new Error(`expected approval_pending, got ${approved.status}`);
  await failing.approve(approved.approvalId);
  keep(await failing.createPayout.resume(approved.approvalId, payout('Umbrella'), { wait: true })); // tool_error
  keep({ status: 'failed', tool: 'wire_money', error: new UnknownToolError('wire_money', ['create_payout']) }); // unknown_tool, as adapters report it
});

/** What each adapter gives the model for `outcome`, as text. */
function asTheModelReadsIt(outcome: ToolOutcome<unknown>): Record<string, string> {
  const openai = JSON.parse(formatToolOutcome(outcome)) as { note?: string };
  const aiSdk = aiSdkContent(outcome) as { note?: string };
  return { langchain: String(toolMessageFields(outcome, 'call-1').content), openai: openai.note ?? '', 'ai-sdk': aiSdk.note ?? '' };
}

describe('the instruction the model gets, per outcome, from every adapter', () => {
  it('covers the outcomes the real guard and the adapters produce', () => {
    expect([...outcomes.keys()].sort()).toEqual(
      ['approval_pending', 'arguments_changed', 'denied', 'done', 'expired', 'failed', 'invalid_arguments', 'tool_error', 'unknown_tool'].sort(),
    );
  });

  it("is core's instruction for the outcome, word for word, at the end of what each adapter says", () => {
    for (const [kind, outcome] of outcomes) {
      if (kind === 'done') continue;
      const instruction = modelInstruction(outcome);
      expect(instruction, kind).toBe(MODEL_INSTRUCTIONS[kind].replaceAll('{tool}', outcome.tool));
      for (const [adapter, text] of Object.entries(asTheModelReadsIt(outcome))) expect(text.endsWith(instruction), `${adapter}, ${kind}: ${text}`).toBe(true);
    }
  });

  it('adds no instruction to a done call in any adapter', () => {
    const done = outcomes.get('done')!;
    const texts = asTheModelReadsIt(done);
    expect(texts.openai).toBe('');
    expect(texts['ai-sdk']).toBe('');
    expect(texts.langchain).toBe(JSON.stringify({ accounts: ['acc-1'] }));
  });
});
