/**
 * A local HTTP server that answers the OpenAI client like the API would, from a script: Chat
 * Completions (`POST /chat/completions`) and Responses (`POST /responses`) wire formats. Every
 * request body is recorded so tests can assert what the model was sent. Loopback, port 0.
 * Not exported from the package.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedToolCall {
  /** Defaults to `call_<n>`. */
  id?: string;
  name: string;
  /** JSON text as the model would send it; an object is serialized. */
  arguments: string | Record<string, unknown>;
}

/** One model turn: text, tool calls, or both. */
export interface ScriptedTurn {
  text?: string;
  toolCalls?: ScriptedToolCall[];
}

export interface RecordedRequest {
  path: string;
  body: Record<string, unknown>;
}

export type ScriptStep = ScriptedTurn | ((request: RecordedRequest) => ScriptedTurn);

export interface ScriptedOpenAIServer {
  /** For `new OpenAI({ baseURL })`. */
  baseURL: string;
  requests: RecordedRequest[];
  /** Appends turns to the script. */
  script(...steps: ScriptStep[]): void;
  close(): Promise<void>;
}

export async function startScriptedOpenAIServer(): Promise<ScriptedOpenAIServer> {
  const steps: ScriptStep[] = [];
  const requests: RecordedRequest[] = [];
  let sequence = 0;

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => send(response, 500, { error: { message: String(error), type: 'server_error' } }));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'POST' || (path !== '/chat/completions' && path !== '/responses')) {
      return send(response, 404, { error: { message: `no route ${request.method} ${path}`, type: 'invalid_request_error' } });
    }
    const recorded: RecordedRequest = { path, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> };
    requests.push(recorded);
    const step = steps.shift();
    if (!step) return send(response, 400, { error: { message: 'the script has no more turns', type: 'invalid_request_error' } });
    const turn = typeof step === 'function' ? step(recorded) : step;
    const toolCalls = (turn.toolCalls ?? []).map((call) => ({
      id: call.id ?? `call_${++sequence}`,
      name: call.name,
      arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
    }));
    const model = String(recorded.body.model ?? 'scripted');
    if (path === '/chat/completions') return send(response, 200, chatCompletion(++sequence, model, turn.text, toolCalls));
    return send(response, 200, responsesResponse(++sequence, model, turn.text, toolCalls));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}`,
    requests,
    script: (...more) => steps.push(...more),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

type WireCall = { id: string; name: string; arguments: string };

function chatCompletion(sequence: number, model: string, text: string | undefined, toolCalls: WireCall[]) {
  return {
    id: `chatcmpl-${sequence}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text ?? null,
          refusal: null,
          ...(toolCalls.length > 0
            ? { tool_calls: toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) }
            : {}),
        },
        finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  };
}

function responsesResponse(sequence: number, model: string, text: string | undefined, toolCalls: WireCall[]) {
  const output: unknown[] = toolCalls.map((call, index) => ({
    type: 'function_call',
    id: `fc_${sequence}_${index}`,
    call_id: call.id,
    name: call.name,
    arguments: call.arguments,
    status: 'completed',
  }));
  if (text !== undefined) {
    output.push({
      type: 'message',
      id: `msg_${sequence}`,
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text, annotations: [] }],
    });
  }
  return {
    id: `resp_${sequence}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'completed',
    model,
    output,
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    error: null,
    incomplete_details: null,
    instructions: null,
    metadata: {},
    temperature: 1,
    top_p: 1,
    usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } },
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
