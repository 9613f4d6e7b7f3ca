import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

/**
 * An OAuthClientProvider for the SDK's user-delegated authorization code flow that needs no
 * browser: "redirecting" the user is fetching the authorization URL without following the
 * redirect and reading the code from its `Location`. The conformance suite's authorization
 * endpoint approves at once, so this stands in for a person clicking "allow".
 */
export class HeadlessOAuthProvider implements OAuthClientProvider {
  #clientInformation: OAuthClientInformationMixed | undefined;
  #tokens: OAuthTokens | undefined;
  #codeVerifier: string | undefined;
  #authorizationCode: string | undefined;

  constructor(
    readonly redirectUrl: string,
    readonly clientMetadata: OAuthClientMetadata,
    readonly clientMetadataUrl?: string,
  ) {}

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.#clientInformation;
  }

  saveClientInformation(information: OAuthClientInformationMixed): void {
    this.#clientInformation = information;
  }

  tokens(): OAuthTokens | undefined {
    return this.#tokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.#tokens = tokens;
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    const response = await fetch(authorizationUrl, { redirect: 'manual' });
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (!location) throw new Error(`the authorization endpoint did not redirect (HTTP ${response.status})`);
    const callback = new URL(location);
    const code = callback.searchParams.get('code');
    if (!code) throw new Error(`the authorization endpoint redirected without a code: ${callback.searchParams.get('error') ?? 'no error'}`);
    this.#authorizationCode = code;
  }

  /** The code the last authorization redirect carried (spent once). */
  takeAuthorizationCode(): string {
    const code = this.#authorizationCode;
    this.#authorizationCode = undefined;
    if (!code) throw new Error('no authorization code was received');
    return code;
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.#codeVerifier = codeVerifier;
  }

  codeVerifier(): string {
    if (!this.#codeVerifier) throw new Error('no PKCE code verifier was saved');
    return this.#codeVerifier;
  }
}
