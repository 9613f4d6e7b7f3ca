export { createAgent } from '../../../core/src/agent.js';
export { generateKey } from '../../../core/src/keys/generate-key.js';
export { guardTool } from '../../../core/src/tools/guard-tool.js';
export type { Agent } from '../../../core/src/types.js';
