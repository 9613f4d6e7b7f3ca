/**
 * @countersign/mcp — agents call MCP tools as themselves with DPoP-bound tokens, and MCP servers
 * hold risky tools until a human approves that exact call.
 *
 * @packageDocumentation
 */

// Client
export { createMcpAgentFetch } from './client/mcp-agent-fetch.js';
export type { McpAgentFetch, McpAgentFetchOptions, McpAgentIdentity } from './client/mcp-agent-fetch.js';
export { withDpop } from './client/with-dpop.js';
export type { WithDpopOptions } from './client/with-dpop.js';
export { createDpopSender } from './client/dpop-sender.js';
export type { DpopSender, DpopKeyOptions, FetchLike } from './client/dpop-sender.js';
export { fetchProtectedResourceMetadata, protectedResourceMetadataUrls } from './client/protected-resource-metadata.js';
export type { ProtectedResourceMetadata } from './client/protected-resource-metadata.js';
export { requestAgentToken, processHeldToken } from './client/token-endpoint.js';
export type { AgentGrant, AgentTokenRequest, HeldToken } from './client/token-endpoint.js';
export { McpAuthorizationError, UntrustedAuthorizationServerError } from './client/errors.js';
export type { TrustedIssuers } from './client/trusted-authorization-server.js';
export { mcpTools, mcpTool, mcpArgumentsSchema, McpApprovalRequiredError } from './client/mcp-tools.js';
export type { McpToolsOptions, McpGuardedTool, McpToolResult } from './client/mcp-tools.js';

// Server
export { protectMcpEndpoint, mcpRequirement, serveResourceMetadata, MCP_RISK_META_KEY, MCP_APPROVAL_REQUIRED_CODE } from './server/protect-mcp.js';
export type { McpProtectionOptions, McpToolPolicy, McpRiskTier } from './server/protect-mcp.js';
