/** What {@link protectedResourceMetadata} describes. */
export interface ResourceMetadataInput {
  resource: string;
  issuer: string;
  algorithms: readonly string[];
  scopes?: readonly string[] | undefined;
  extra?: Record<string, unknown> | undefined;
}

/**
 * RFC 9728 protected resource metadata: the resource, its authorization server, that tokens go in
 * the `Authorization` header, the DPoP algorithms accepted, and that only DPoP-bound tokens are
 * accepted.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
 */
export function protectedResourceMetadata(input: ResourceMetadataInput): Record<string, unknown> {
  return {
    ...input.extra,
    resource: input.resource,
    authorization_servers: [input.issuer],
    bearer_methods_supported: ['header'],
    dpop_signing_alg_values_supported: [...input.algorithms],
    dpop_bound_access_tokens_required: true,
    ...(input.scopes === undefined ? {} : { scopes_supported: [...input.scopes] }),
  };
}

/**
 * Where a resource's metadata is served: `/.well-known/oauth-protected-resource` inserted between
 * the host and the resource's path.
 *
 * @example
 * ```ts
 * resourceMetadataUrl('https://api.example/v1'); // 'https://api.example/.well-known/oauth-protected-resource/v1'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.1
 */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}/.well-known/oauth-protected-resource${path}${url.search}`;
}
