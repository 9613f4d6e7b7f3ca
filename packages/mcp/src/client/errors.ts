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

/**
 * The MCP server's RFC 9728 metadata names only authorization servers the agent was not
 * configured to trust (`issuer` / `trustedIssuers` of `createMcpAgentFetch`). Nothing was sent to
 * them: a workload JWT or client assertion handed to an authorization server the MCP server
 * picked could be replayed at the real one.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-7.6 (authorization server spoofing)
 */
export class UntrustedAuthorizationServerError extends CountersignError {
  static override readonly code: string = 'ERR_MCP_UNTRUSTED_AUTHORIZATION_SERVER';
  override readonly code = 'ERR_MCP_UNTRUSTED_AUTHORIZATION_SERVER';
  /** The authorization servers the metadata named, none of them trusted. */
  readonly issuers: readonly string[];

  constructor(message: string, issuers: readonly string[]) {
    super(message);
    this.issuers = issuers;
  }
}
