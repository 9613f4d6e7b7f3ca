/**
 * The offline model of the example: a LangChain fake chat model scripted to do what a real model
 * does with these tools (read the accounts, propose one payout, then report what happened), so the
 * example runs with no API key and no network.
 */
import { randomUUID } from 'node:crypto';
import { AIMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';

interface Account {
  id: string;
  name: string;
  balance: number;
  currency: string;
}

const lastToolMessage = (messages: BaseMessage[]) => messages.filter((message): message is ToolMessage => ToolMessage.isInstance(message)).at(-1);

/** A scripted model that pays `amount` in the first account's currency to `recipient`. */
export function scriptedPayoutModel(payout: { recipient: string; amount: number; memo: string }) {
  return fakeModel()
    .respond(() => new AIMessage({ content: '', tool_calls: [{ name: 'list_accounts', args: {}, id: `call_${randomUUID()}`, type: 'tool_call' }] }))
    .respond((messages) => {
      const { accounts } = JSON.parse(String(lastToolMessage(messages)?.content)) as { accounts: Account[] };
      const account = accounts.find((candidate) => candidate.balance >= payout.amount) ?? accounts[0]!;
      return new AIMessage({
        content: `I will pay ${payout.amount} ${account.currency} from ${account.name} to ${payout.recipient}.`,
        tool_calls: [
          {
            name: 'create_payout',
            args: { accountId: account.id, recipient: payout.recipient, amount: payout.amount, currency: account.currency, memo: payout.memo },
            id: `call_${randomUUID()}`,
            type: 'tool_call',
          },
        ],
      });
    })
    .respond((messages) => {
      const answer = lastToolMessage(messages);
      // A real model would explain it in its own words; this one quotes the first sentence.
      if (answer?.status === 'error') return new AIMessage(`The payout did not go through: ${String(answer.content).split('. ')[0]}.`);
      const receipt = JSON.parse(String(answer?.content)) as { payoutId?: string; amount?: number; currency?: string; recipient?: string };
      return new AIMessage(`Done: payout ${receipt.payoutId} sent ${receipt.amount} ${receipt.currency} to ${receipt.recipient}.`);
    });
}
