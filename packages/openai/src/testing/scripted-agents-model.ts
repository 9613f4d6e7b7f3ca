/**
 * A scripted model for the OpenAI Agents SDK: implements its `Model` interface and answers each
 * turn from a script, recording every request (what the SDK sent the model: tool outputs
 * included). Not exported from the package.
 */
import { Usage, type Model, type ModelRequest, type ModelResponse } from '@openai/agents';
import type { ScriptedTurn } from './scripted-openai-server.js';

export interface ScriptedAgentsModel extends Model {
  requests: ModelRequest[];
  script(...turns: Array<ScriptedTurn | ((request: ModelRequest) => ScriptedTurn)>): void;
}

export function scriptedAgentsModel(): ScriptedAgentsModel {
  const turns: Array<ScriptedTurn | ((request: ModelRequest) => ScriptedTurn)> = [];
  const requests: ModelRequest[] = [];
  let sequence = 0;
  return {
    requests,
    script: (...more) => turns.push(...more),
    async getResponse(request) {
      requests.push(structuredClone(request));
      const step = turns.shift();
      if (!step) throw new Error('the script has no more turns');
      const turn = typeof step === 'function' ? step(request) : step;
      const output: ModelResponse['output'] = (turn.toolCalls ?? []).map((call) => ({
        type: 'function_call' as const,
        id: `fc_${++sequence}`,
        callId: call.id ?? `call_${sequence}`,
        name: call.name,
        arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
        status: 'completed' as const,
      }));
      if (turn.text !== undefined) {
        output.push({
          type: 'message',
          id: `msg_${++sequence}`,
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: turn.text }],
        });
      }
      return { usage: new Usage(), output, responseId: `resp_${sequence}` };
    },
    // eslint-disable-next-line require-yield
    async *getStreamedResponse() {
      throw new Error('the scripted model does not stream');
    },
  };
}
