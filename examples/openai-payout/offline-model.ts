/**
 * An offline stand-in for the OpenAI API, so the example runs without a key or a network: a local
 * HTTP server that speaks the Chat Completions wire format and plays a treasury assistant from a
 * fixed script. It reads the conversation like a model would: first it lists the accounts, then it
 * proposes the payout the user asked for, then it reports what the tool said.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

interface ChatMessage {
  role: string;
  content?: unknown;
  tool_call_id?: string;
  tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
}

interface ScriptedReply {
  text?: string;
  toolCall?: { name: string; arguments: Record<string, unknown> };
}

/** A running offline model: point the OpenAI client's `baseURL` at it. */
export interface OfflineModel {
  baseURL: string;
  close(): Promise<void>;
}

/** Starts the offline model on 127.0.0.1, on a free port. */
export async function startOfflineModel(): Promise<OfflineModel> {
  let sequence = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let status = 200;
      let body: unknown;
      if (request.method !== 'POST' || !request.url?.endsWith('/chat/completions')) {
        status = 404;
        body = { error: { message: 'the offline model only answers POST /chat/completions', type: 'invalid_request_error' } };
      } else {
        const { messages, model } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages: ChatMessage[]; model: string };
        body = completion(++sequence, model, decide(messages));
      }
      const text = JSON.stringify(body);
      response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      response.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The script: what the assistant does next, given the conversation so far. */
function decide(messages: ChatMessage[]): ScriptedReply {
  const request = /Pay (?<recipient>.+?) (?<amount>\d+(?:\.\d+)?) (?<currency>[A-Z]{3})/.exec(
    String(messages.findLast((message) => message.role === 'user')?.content ?? ''),
  )?.groups;
  const results = toolResults(messages);
  const accounts = results.get('list_accounts') as { status: string; result?: { accounts: Array<{ id: string; currency: string; balance: number }> } } | undefined;
  if (!accounts) return { toolCall: { name: 'list_accounts', arguments: {} } };
  if (!request) return { text: 'Tell me whom to pay, how much and in which currency, e.g. "Pay ACME Supplies Ltd 250 EUR".' };

  const payout = results.get('create_payout') as Record<string, any> | undefined;
  if (!payout) {
    const amount = Number(request.amount);
    const account = accounts.result?.accounts.find((candidate) => candidate.currency === request.currency && candidate.balance >= amount);
    if (!account) return { text: `None of the accounts can pay ${request.amount} ${request.currency}.` };
    return {
      toolCall: {
        name: 'create_payout',
        arguments: { accountId: account.id, recipient: request.recipient, amount, currency: request.currency, memo: 'Invoice 2026-118' },
      },
    };
  }
  switch (payout.status) {
    case 'approval_pending':
      return { text: `The payout is waiting for ${payout.approver} to approve it ("${payout.bindingMessage}"). Nothing has been paid yet.` };
    case 'done':
      return { text: `Paid: payout ${payout.result?.payoutId ?? '?'} went through, approved by ${(payout.approvedBy ?? []).join(' and ') || 'the approver'}.` };
    case 'denied':
      return { text: `The payout was declined${payout.reason ? `: ${payout.reason}` : ''}. Nothing was paid.` };
    case 'expired':
      return { text: 'Nobody approved the payout in time. Nothing was paid.' };
    default:
      return { text: `The payout could not be made: ${payout.error?.message ?? 'unknown error'}.` };
  }
}

/** The latest tool result per tool name, parsed from the tool messages. */
function toolResults(messages: ChatMessage[]): Map<string, unknown> {
  const names = new Map<string, string>();
  for (const message of messages) for (const call of message.tool_calls ?? []) names.set(call.id, call.function.name);
  const results = new Map<string, unknown>();
  for (const message of messages) {
    if (message.role !== 'tool' || typeof message.content !== 'string') continue;
    const name = names.get(message.tool_call_id ?? '');
    if (name) results.set(name, JSON.parse(message.content));
  }
  return results;
}

function completion(sequence: number, model: string, reply: ScriptedReply) {
  const toolCalls = reply.toolCall
    ? [{ id: `call_offline_${sequence}`, type: 'function', function: { name: reply.toolCall.name, arguments: JSON.stringify(reply.toolCall.arguments) } }]
    : undefined;
  return {
    id: `chatcmpl-offline-${sequence}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.text ?? null, refusal: null, ...(toolCalls ? { tool_calls: toolCalls } : {}) },
        finish_reason: toolCalls ? 'tool_calls' : 'stop',
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}
