// oidc-provider ships no type declarations; this is the part of its 9.x API the devkit uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** The per-request OIDC context oidc-provider attaches to the Koa context. */
  export interface OidcContext {
    route: string;
    params: Record<string, unknown> & { toPlainObject?(): Record<string, unknown> };
    client?: { clientId: string; [member: string]: unknown } | undefined;
    entities: Record<string, any>;
    urlFor(name: string): string;
  }

  /** The subset of a Koa context the devkit's middleware reads and writes. */
  export interface KoaContext {
    method: string;
    path: string;
    status: number;
    body: any;
    headers: Record<string, string | string[] | undefined>;
    readonly oidc: OidcContext;
    get(header: string): string;
    set(header: string, value: string): void;
    accepts(...types: string[]): string | false;
  }

  export type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

  export interface GrantInstance {
    jti: string;
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export class OIDCProviderError extends Error {
    error: string;
    error_description?: string;
    status: number;
    statusCode: number;
  }

  export const errors: {
    OIDCProviderError: typeof OIDCProviderError;
    AccessDenied: new (description?: string) => OIDCProviderError;
    InvalidAuthorizationDetails: new (description?: string) => OIDCProviderError;
    InvalidBindingMessage: new (description?: string) => OIDCProviderError;
    InvalidRequest: new (description?: string) => OIDCProviderError;
    InvalidScope: new (description: string, scope?: string) => OIDCProviderError;
    InvalidTarget: new (description?: string) => OIDCProviderError;
    UnknownUserId: new (description?: string) => OIDCProviderError;
    SlowDown: new (description?: string) => OIDCProviderError;
    [name: string]: any;
  };

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    readonly issuer: string;
    proxy: boolean;
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    use(middleware: Middleware): this;
    on(event: string, listener: (...args: any[]) => void): this;
    backchannelResult(
      request: string,
      result: GrantInstance | OIDCProviderError,
      options?: { rar?: unknown; acr?: string; amr?: string[]; authTime?: number },
    ): Promise<void>;
    registerGrantType(name: string, handler: (ctx: KoaContext) => Promise<void>, parameters?: Iterable<string>, duplicates?: Iterable<string>): void;
    readonly Grant: new (properties: { accountId: string; clientId: string }) => GrantInstance;
    readonly Client: {
      new (metadata: Record<string, unknown>): { clientId: string };
      find(clientId: string): Promise<{ clientId: string } | undefined>;
    };
  }

  export default Provider;
}

// Internals the JWT bearer grant reuses (see jwt-bearer-grant.ts), pinned to oidc-provider 9.13.3.
declare module 'oidc-provider/lib/actions/grants/client_credentials.js' {
  import type { KoaContext, Provider } from 'oidc-provider';
  export function handler(provider: Provider, helpers: Record<string, unknown>, ctx: KoaContext): Promise<void>;
}
declare module 'oidc-provider/lib/helpers/grants.js' {
  const helpers: Record<string, (...args: unknown[]) => unknown>;
  export = helpers;
}
