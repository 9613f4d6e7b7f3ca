import { getGlobalDispatcher } from 'undici';
import { memoryApprovalStore } from './tools/memory-approval-store.js';
import { requestApproval, resumeApproval } from './approvals/request-approval.js';
import { redactedAccessToken } from './lib/redacted-token.js';
import { sleep } from './lib/sleep.js';
import type { ApprovalContext } from './approvals/types.js';
import { createAuditor } from './audit/auditor.js';
import type { AuditSink } from './audit/types.js';
import { assertIssuer } from './oauth/discovery.js';
import { DpopNonceCache } from './dpop/nonce-cache.js';
import { createPresignedProofs } from './dpop/presigned-proofs.js';
import { createDpopProver } from './dpop/proof.js';
import { AgentClosedError, AgentRevokedError, ConfigurationError, CountersignError } from './errors.js';
import { createAgentFetch, type AgentFetchContext } from './fetch/agent-fetch.js';
import { createDpopInterceptor } from './fetch/dpop-interceptor.js';
import { generateKey } from './keys/generate-key.js';
import { createCurrentKey } from './keys/current-key.js';
import { isKeyStore, type KeyStore } from './keys/key-store.js';
import type { Signer } from './keys/signer.js';
import { createOriginClocks, createSkewClock, maxAuthorizationServerCorrectionMs } from './lib/clock-skew.js';
import { createAuthorizationServerClient } from './oauth/authorization-server-client.js';
import type { AuthorizationServerClient, RequestOptions } from './oauth/types.js';
import { createTokenCache, type TokenTarget } from './tokens/token-cache.js';
import { registerToolCallPorts } from './tools/ports.js';
import { createWorkloadCredential, type WorkloadCredential } from './oauth/workload-credential.js';
import type { AccessToken, Agent, AgentOptions, WorkloadAgentOptions } from './types.js';

/**
 * Creates an agent with its own identity: it discovers its authorization server (the metadata
 * `issuer` must equal `options.issuer` exactly), makes a fresh DPoP key for this instance, and from
 * then on holds only DPoP-bound tokens, asks humans to approve risky actions, and records every
 * step in its audit trail (never a token, an assertion or a key).
 *
 * `options.key` may also be a key store (`fileKeyStore(dir)`), so a rotated identity key signs
 * the next assertion without a restart. With `options.workloadToken` the agent gets its tokens with
 * a workload-identity JWT (RFC 7523 §2.1 JWT bearer grant) instead, with or without a key
 * ({@link WorkloadAgentOptions}); the JWT is read once here, so a missing file fails now.
 *
 * @example
 * ```ts
 * const agent = await createAgent({ issuer: 'https://as.example', clientId: 'payout-agent', key: await generateKey() });
 * const response = await agent.fetch('https://treasury.example/accounts', { scope: 'accounts:read' });
 * await agent.close();
 * ```
 * @throws {ConfigurationError} invalid options
 * @throws {WorkloadTokenError} the workload token cannot be read or is not a JWT
 * @throws {InsecureEndpointError} the issuer or a discovered endpoint is http off loopback
 * @throws {DiscoveryError | NetworkError | TimeoutError} discovery failed
 * @see https://www.rfc-editor.org/rfc/rfc8414 (discovery)
 * @see https://www.rfc-editor.org/rfc/rfc7523 (private_key_jwt, JWT bearer grant)
 * @see https://www.rfc-editor.org/rfc/rfc9449 (DPoP)
 */
export async function createAgent(options: AgentOptions | WorkloadAgentOptions): Promise<Agent> {
  const { issuer, clientId } = checkOptions(options);
  const workload: WorkloadCredential | undefined = options.workloadToken === undefined ? undefined : createWorkloadCredential(options.workloadToken);
  await workload?.check();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = options.retries ?? 2;
  // Each server's Date corrects only the time of what is sent to it: the authorization server's
  // offset lives in `clock`; each resource server's in `resourceClocks`, starting from the AS's and
  // never more than maxClockCorrectionMs away from it.
  const clock = createSkewClock(options.clock ?? Date.now, { maxCorrectionMs: maxAuthorizationServerCorrectionMs });
  const resourceClocks = createOriginClocks(clock.local, { baseline: () => clock.offsetMs });

  // Assertions load the current key before each signature, so an activated key signs the next one.
  // `audit` exists before the first assertion, the earliest a change can be seen; the event's kid
  // is the new key's.
  const identity =
    options.key === undefined
      ? undefined
      : await createCurrentKey(options.key, {
          onChange: (previous) => audit.record({ event: 'key.rotated', previousKid: previous.kid, outcome: 'ok' }),
        });
  // A keyless workload agent is known by the subject its JWT states (the JWT itself is never kept).
  const keyId = (): string => identity?.current().kid ?? `workload:${workload?.identity()?.subject ?? 'unknown'}`;

  const dpopSigner = options.dpop?.key ?? (await generateKey({ alg: options.dpop?.alg ?? 'ES256' }));
  // Uncorrected: every proof passes the time (and offset) of the server it is for.
  const dpop = createDpopProver(dpopSigner, { clock: () => clock.local() / 1000 });
  const presign = options.dpop?.presign ?? true;
  const presigned =
    presign === false ? undefined : createPresignedProofs(dpop, { clock: () => clock.local() / 1000, maxAgeMs: presign === true ? undefined : presign.maxAgeMs });
  const nonces = new DpopNonceCache();
  const sinks: AuditSink[] = options.audit === undefined ? [] : Array.isArray(options.audit) ? options.audit : [options.audit];
  const audit = createAuditor(() => ({ agent: clientId, kid: keyId(), jkt: dpop.thumbprint }), sinks, {
    clock: clock.local,
    signer: identity === undefined ? undefined : () => identity.current(),
  });

  // Aborted by close() and by revocation: stops approval polls and waits.
  const lifetime = new AbortController();
  let closing: Promise<void> | undefined;

  const client = createAuthorizationServerClient({
    issuer,
    clientId,
    key: identity,
    dpop,
    nonces,
    clock,
    assertionAudience: options.assertionAudience,
    dispatcher: options.dispatcher,
    timeoutMs,
    retries,
    onRevoked(error) {
      audit.record({ event: 'agent.revoked', outcome: 'error', error: describe(error) });
      lifetime.abort(error);
    },
  });
  await client.metadata();

  function assertUsable(): void {
    if (closing) throw new AgentClosedError('the agent was closed');
    if (client.revoked) {
      throw new AgentRevokedError(`the authorization server refused this client earlier: invalid_client (client_id ${clientId}); nothing more is sent to it`, {
        error: 'invalid_client',
      });
    }
  }

  const tokens = createTokenCache({
    clock: clock.local,
    refreshAheadMs: (options.refreshAheadSeconds ?? 30) * 1000,
    request: (target, signal) => requestRoutineToken(target, signal),
    // A failed background refresh is in the audit trail already; the next call tries again.
    onBackgroundError: () => undefined,
  });

  async function requestRoutineToken(target: TokenTarget, signal: AbortSignal): Promise<AccessToken> {
    const { resource, scope } = target;
    const startedAt = clock.local();
    audit.record({ event: 'token.requested', resource, scope });
    try {
      let response;
      if (workload) {
        // Only ever the JWT bearer grant: a refused workload JWT never falls back to another one.
        response = await workload.requestToken(client, { scope, resource }, { signal });
      } else {
        const parameters: Record<string, string> = {};
        if (scope !== undefined) parameters.scope = scope;
        if (resource !== undefined) parameters.resource = resource;
        response = await client.tokenRequest('client_credentials', parameters, { signal });
      }
      const token: AccessToken = redactedAccessToken({
        accessToken: response.access_token,
        tokenType: 'DPoP',
        // Counted from before the request, so the local expiry is never later than the server's.
        expiresAt: startedAt + response.expires_in * 1000,
        scope: response.scope ?? scope,
        resource,
      });
      audit.record({ event: 'token.issued', resource, scope: token.scope, outcome: 'ok' });
      return token;
    } catch (error) {
      // A request cut short by close() did not fail: the trail says agent.closed already.
      if (!closing) audit.record({ event: 'token.failed', resource, scope, outcome: 'error', error: describe(error) });
      throw error;
    }
  }

  const fetchContext: AgentFetchContext = { tokens, dpop, presigned, nonces, clocks: resourceClocks, dispatcher: options.dispatcher, assertUsable };
  const agentFetch = createAgentFetch(fetchContext);

  const withLifetime = (requestOptions?: RequestOptions): RequestOptions => ({
    signal: requestOptions?.signal ? AbortSignal.any([requestOptions.signal, lifetime.signal]) : lifetime.signal,
  });
  const approvalClient: AuthorizationServerClient = {
    metadata: async (requestOptions) => (assertUsable(), client.metadata(withLifetime(requestOptions))),
    tokenRequest: async (grantType, parameters, requestOptions) => (
      assertUsable(), client.tokenRequest(grantType, parameters, withLifetime(requestOptions))
    ),
    backchannelAuthentication: async (parameters, requestOptions) => (
      assertUsable(), client.backchannelAuthentication(parameters, withLifetime(requestOptions))
    ),
    revoke: async (token, requestOptions) => (assertUsable(), client.revoke(token, withLifetime(requestOptions))),
  };
  const approvalContext: ApprovalContext = {
    client: approvalClient,
    audit,
    clock: clock.local,
    clientId,
    // Waits between polls end when the agent closes or is revoked.
    sleep: (milliseconds, signal) => sleep(milliseconds, withLifetime({ signal }).signal),
  };
  const approvalStore = options.approvals?.store ?? memoryApprovalStore();

  async function close(): Promise<void> {
    lifetime.abort(new AgentClosedError('the agent was closed'));
    presigned?.close();
    const held = tokens.close();
    if (!client.revoked && held.length > 0) {
      await Promise.all(
        held.map(async (token) => {
          try {
            const metadata = await client.metadata();
            if (typeof metadata.revocation_endpoint !== 'string') return;
            await client.revoke(token.accessToken);
            audit.record({ event: 'token.revoked', resource: token.resource, scope: token.scope, outcome: 'ok' });
          } catch (error) {
            audit.record({ event: 'token.revoked', resource: token.resource, scope: token.scope, outcome: 'error', error: describe(error) });
          }
        }),
      );
    }
    audit.record({ event: 'agent.closed', outcome: 'ok' });
    await (audit.close ? audit.close() : audit.flush());
  }

  const agent: Agent = {
    clientId,
    get keyId() {
      return keyId();
    },
    dpopThumbprint: dpop.thumbprint,
    approvalStore,
    audit,
    async publicJwks() {
      if (identity === undefined) return { keys: [] };
      const jwks = await identity.jwks();
      return { keys: [...jwks.keys] };
    },
    async getToken(request) {
      assertUsable();
      return tokens.get(request);
    },
    fetch: agentFetch,
    dispatcher(target) {
      assertUsable();
      const base = options.dispatcher ?? getGlobalDispatcher();
      return base.compose(createDpopInterceptor(fetchContext, { resource: target?.resource, scope: target?.scope }));
    },
    async requestApproval(request) {
      assertUsable();
      if (identity === undefined) {
        throw new ConfigurationError(
          'this agent authenticates with a workload token only; asking for an approval (CIBA) needs an authenticated client: give createAgent a key as well',
        );
      }
      return requestApproval(approvalContext, request);
    },
    resumeApproval(saved) {
      assertUsable();
      return resumeApproval(approvalContext, saved);
    },
    close() {
      closing ??= close();
      return closing;
    },
  };
  Object.freeze(agent);
  registerToolCallPorts(agent, {
    ledger: approvalStore,
    record: (input) => audit.record(input),
    getToken: (request) => agent.getToken(request),
    fetch: agentFetch,
    requestApproval: (request) => agent.requestApproval(request),
    resumeApproval: (saved) => agent.resumeApproval(saved),
  });
  return agent;
}

function checkOptions(options: AgentOptions | WorkloadAgentOptions): { issuer: string; clientId: string } {
  if (typeof options !== 'object' || options === null) throw new ConfigurationError('createAgent needs an options object');
  const issuer = assertIssuer(options.issuer);
  if (typeof options.clientId !== 'string' || options.clientId.length === 0) throw new ConfigurationError('clientId must be a non-empty string');
  const key = options.key as unknown;
  const isSigner = typeof key === 'object' && key !== null && typeof (key as Signer).sign === 'function' && typeof (key as Signer).kid === 'string';
  if (key === undefined && options.workloadToken === undefined) {
    throw new ConfigurationError('createAgent needs a key (a Signer or a key store) or a workloadToken');
  }
  if (key !== undefined && !isSigner && !isKeyStore(key)) throw new ConfigurationError('key must be a Signer (generateKey, a key store’s load()) or a key store');
  const positive = (value: number | undefined, name: string, integer: boolean, minimum: number) => {
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < minimum || (integer && !Number.isInteger(value))) {
      throw new ConfigurationError(`${name} must be ${integer ? 'an integer' : 'a number'} of at least ${minimum}`);
    }
  };
  positive(options.timeoutMs, 'timeoutMs', false, 1);
  positive(options.retries, 'retries', true, 0);
  positive(options.refreshAheadSeconds, 'refreshAheadSeconds', false, 0);
  if (options.assertionAudience !== undefined && options.assertionAudience !== 'issuer' && options.assertionAudience !== 'token_endpoint') {
    throw new ConfigurationError("assertionAudience must be 'issuer' or 'token_endpoint'");
  }
  return { issuer, clientId: options.clientId };
}

/** An error as the audit trail records it: code and message only (messages never hold secrets). */
function describe(error: unknown): { code: string; message: string } {
  if (CountersignError.isInstance(error)) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: error.name, message: error.message };
  return { code: 'ERR_UNKNOWN', message: String(error) };
}
