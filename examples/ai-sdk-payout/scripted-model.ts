/**
 * The example's offline model: the AI SDK's own mock model, scripted like a careful treasury
 * assistant (read the accounts, propose one payout from the EUR operating account, then say what
 * the tool answered).
 */
import { lastToolResults, scriptedModel } from '../../packages/ai-sdk/src/testing/scripted-model.js';

export function scriptedPayoutModel(amount: number) {
  let calls = 0;
  return scriptedModel((prompt) => {
    const [result] = lastToolResults(prompt);
    if (result === undefined) return { toolCalls: [{ id: `call_${++calls}`, name: 'list_accounts', input: {} }] };
    if (result.toolName === 'list_accounts') {
      const accounts = result.output.type === 'json' ? ((result.output.value as { result?: { accounts?: Array<{ id: string; currency: string }> } }).result?.accounts ?? []) : [];
      const account = accounts.find((candidate) => candidate.currency === 'EUR') ?? { id: 'acc_operating', currency: 'EUR' };
      return {
        toolCalls: [{ id: `call_${++calls}`, name: 'create_payout', input: { accountId: account.id, recipient: 'ACME Supplies Ltd', amount, currency: 'EUR', memo: 'invoice 2026-118' } }],
      };
    }
    if (result.output.type === 'execution-denied') return { text: `The payout was not made: ${result.output.reason ?? 'it was declined'}` };
    const content = result.output.type === 'json' ? (result.output.value as { status?: string; approver?: string }) : {};
    if (content.status === 'done') return { text: `Done: ${amount} EUR paid to ACME Supplies Ltd.` };
    if (content.status === 'approval_pending') return { text: `The payout waits for ${content.approver} to approve it.` };
    return { text: `The payout did not go through (${content.status ?? result.output.type}).` };
  });
}
