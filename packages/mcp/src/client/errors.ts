import { CountersignError } from '@countersign/core';

/**
 * The MCP server's authorization set-up cannot be trusted or used: no RFC 9728 metadata, metadata
 * for another resource, no authorization server, or an authorization server whose metadata names
 * another issuer.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.3
 */
export class McpAuthorizationError extends CountersignError {
  static override readonly code: string = 'ERR_MCP_AUTHORIZATION';
  override readonly code = 'ERR_MCP_AUTHORIZATION';
}
