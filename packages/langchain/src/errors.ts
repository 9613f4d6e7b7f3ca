import { CountersignError } from '@countersign/core';

/**
 * A guarded tool in `interrupt` mode was called where LangGraph cannot pause and resume it: outside
 * a graph, or in a graph compiled without a checkpointer. It is raised before any approval is
 * requested, so no human is asked for something the agent could never carry out.
 *
 * Compile the graph with a checkpointer (`createAgent({ checkpointer: new MemorySaver() })`,
 * `graph.compile({ checkpointer })`) or use `mode: 'message'`.
 *
 * @see https://docs.langchain.com/oss/javascript/langgraph/interrupts
 */
export class MissingCheckpointerError extends CountersignError {
  static override readonly code: string = 'ERR_MISSING_CHECKPOINTER';
  override readonly code = 'ERR_MISSING_CHECKPOINTER';
  /** The tool that needed to pause. */
  readonly tool: string;
  constructor(tool: string, insideGraph: boolean) {
    super(
      insideGraph
        ? `tool ${tool} waits for human approval with a LangGraph interrupt, which needs a checkpointer: compile the graph with one (createAgent({ checkpointer: new MemorySaver() })) or use mode 'message'`
        : `tool ${tool} waits for human approval with a LangGraph interrupt, which only works inside a graph run with a checkpointer: run it in a graph or use mode 'message'`,
    );
    this.tool = tool;
  }
}
