/**
 * Countersign guarded tools for the Vercel AI SDK (`ai` 7): the SDK's tool approval flow shows the
 * human approval that the authorization server holds (OpenID CIBA), and only the authorization
 * server's decision lets an irreversible call run. A thin adapter: every decision (validation, risk,
 * approval, execution) is the core guard's.
 *
 * @packageDocumentation
 */
export { countersignTools, type CountersignTools, type CountersignToolsOptions, type CountersignToolApproval } from './countersign-tools.js';
export { toolCallContent, type ToolCallContent } from './tool-output.js';
