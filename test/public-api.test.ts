/**
 * The public contract of ../shared/DESIGN.md, pinned: names other code relies on exist and keep
 * their shapes. Runtime assertions check the exports; `expectTypeOf` lines are checked by
 * `pnpm typecheck` (tsc covers test/), so a rename or a narrowed type fails the build.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as core from '@countersign/core';
import * as adapterKit from '@countersign/core/adapters';
import * as auditEntry from '@countersign/core/audit';
import * as dpopEntry from '@countersign/core/dpop';
import * as errorsEntry from '@countersign/core/errors';
import * as keysEntry from '@countersign/core/keys';
import * as oauthEntry from '@countersign/core/oauth';
import * as toolsEntry from '@countersign/core/tools';
import type { StoredToolCall } from '@countersign/core/tools';
import type { Auditor } from '@countersign/core/audit';
import type { PublicJwk } from '@countersign/core/keys';
import * as devkit from '@countersign/devkit';
import * as langchain from '@countersign/langchain';
import * as openai from '@countersign/openai';
import type {
  AccessToken,
  Agent,
  AgentOptions,
  WorkloadAgentOptions,
  ApprovalRequest,
  GuardedTool,
  KeyStore,
  PendingApproval,
  SerializedApproval,
  Signer,
  ToolOutcome,
} from '@countersign/core';

describe('@countersign/core public API', () => {
  it('exports the entry points DESIGN.md names', () => {
    for (const name of ['createAgent', 'generateKey', 'fileKeyStore', 'memoryKeyStore', 'guardTool', 'jsonlAuditSink', 'verifyAuditTrail'] as const) {
      expect(typeof core[name], name).toBe('function');
    }
  });

  it('exports every error class with a stable code, recognisable across package copies', () => {
    const errors = [
      new core.OAuthError('invalid_client', undefined, 401),
      new core.ApprovalDeniedError('approval-1'),
      new core.ApprovalExpiredError('approval-1'),
      new core.InsecureEndpointError('http://as.example', 'issuer'),
      new core.AgentRevokedError('disabled'),
    ];
    expect(errors.map((error) => error.code)).toEqual(['ERR_OAUTH', 'ERR_APPROVAL_DENIED', 'ERR_APPROVAL_EXPIRED', 'ERR_INSECURE_ENDPOINT', 'ERR_AGENT_REVOKED']);
    for (const error of errors) {
      expect(error).toBeInstanceOf(core.CountersignError);
      expect(core.CountersignError.isInstance(error)).toBe(true);
    }
    expect(core.CountersignError.isInstance(new Error('plain'))).toBe(false);
  });

  it('keeps the shapes of the agent contract', () => {
    // Grown (never narrowed): an agent whose only credential is a workload-identity JWT.
    expectTypeOf(core.createAgent).parameter(0).toEqualTypeOf<AgentOptions | WorkloadAgentOptions>();
    expectTypeOf(core.createAgent).returns.resolves.toEqualTypeOf<Agent>();
    expectTypeOf<AgentOptions['key']>().toEqualTypeOf<Signer | KeyStore>();
    expectTypeOf<Agent['clientId']>().toEqualTypeOf<string>();
    expectTypeOf<Agent['keyId']>().toEqualTypeOf<string>();
    expectTypeOf<Agent['dpopThumbprint']>().toEqualTypeOf<string>();
    expectTypeOf<Agent['getToken']>().returns.resolves.toEqualTypeOf<AccessToken>();
    expectTypeOf<AccessToken['tokenType']>().toEqualTypeOf<'DPoP'>();
    expectTypeOf<Agent['fetch']>().returns.resolves.toEqualTypeOf<Response>();
    expectTypeOf<Agent['requestApproval']>().parameter(0).toEqualTypeOf<ApprovalRequest>();
    expectTypeOf<Agent['requestApproval']>().returns.resolves.toEqualTypeOf<PendingApproval>();
    expectTypeOf<Agent['resumeApproval']>().parameter(0).toEqualTypeOf<SerializedApproval | string>();
    expectTypeOf<PendingApproval['wait']>().returns.resolves.toEqualTypeOf<AccessToken>();
    expectTypeOf<PendingApproval['toJSON']>().returns.toEqualTypeOf<SerializedApproval>();
    expectTypeOf<Agent['close']>().returns.resolves.toBeVoid();
  });

  it('keeps the tool guard outcome a discriminated union', () => {
    expectTypeOf<ToolOutcome<number>['status']>().toEqualTypeOf<'done' | 'approval_pending' | 'denied' | 'expired' | 'failed'>();
    expectTypeOf<GuardedTool['invoke']>().returns.resolves.toEqualTypeOf<ToolOutcome<unknown>>();
  });
});

describe('@countersign/core/adapters', () => {
  it('exports the adapter kit every adapter is built on', () => {
    for (const name of ['modelInstruction', 'pendingCallOf', 'pendingOutcomeOf', 'waitForDecision', 'argumentsHashOf', 'describeFailure'] as const) {
      expect(typeof adapterKit[name], name).toBe('function');
    }
    expectTypeOf(adapterKit.waitForDecision).returns.resolves.toEqualTypeOf<ToolOutcome<unknown>>();
  });
});

describe('@countersign/core building-block entries (docs/public-api.md)', () => {
  const entries: Record<string, [Record<string, unknown>, string[]]> = {
    '@countersign/core/dpop': [dpopEntry, ['createDpopProver', 'createPresignedProofs', 'DpopNonceCache', 'jwkThumbprint', 'parseWwwAuthenticate', 'targetUri', 'accessTokenHash']],
    '@countersign/core/oauth': [
      oauthEntry,
      ['discover', 'createClientAssertionSigner', 'createAuthorizationServerClient', 'processTokenResponse', 'processErrorResponse', 'workloadTokenReader', 'jwtBearerParameters', 'backchannelAuthenticationParameters'],
    ],
    '@countersign/core/keys': [keysEntry, ['createNobleSigner', 'createCurrentKey', 'publicJwks', 'exportPublicJwk', 'isKeyStore']],
    '@countersign/core/tools': [toolsEntry, ['canonicalJson', 'canonicalSha256', 'argumentsSha256', 'actionAuthorizationDetails', 'validateBindingMessage']],
    '@countersign/core/audit': [auditEntry, ['createAuditor', 'readPublishedCheckpoints', 'fileCheckpointPublisher', 'scrubSecrets', 'summarizeArguments']],
  };

  it.each(Object.entries(entries))('%s exports its building blocks, none of which the root entry exports', (_name, [entry, functions]) => {
    for (const name of functions) {
      expect(typeof entry[name], name).toBe('function');
      expect(name in core, `${name} is not in the root entry`).toBe(false);
    }
  });

  it('@countersign/core/errors holds every error class, the root re-exports the same objects', () => {
    for (const [name, value] of Object.entries(core)) {
      if (typeof value === 'function' && value.prototype instanceof core.CountersignError) expect((errorsEntry as Record<string, unknown>)[name], name).toBe(value);
    }
    expect(errorsEntry.ResponseError.isInstance(new errorsEntry.TokenTypeDowngradeError('Bearer', 200))).toBe(true);
  });

  it('exports every type a root signature uses from some entry', () => {
    expectTypeOf<Agent['audit']>().toEqualTypeOf<Auditor>();
    expectTypeOf<Awaited<ReturnType<core.ApprovalStore['get']>>>().toEqualTypeOf<StoredToolCall | undefined>();
    expectTypeOf<Awaited<ReturnType<Agent['publicJwks']>>['keys']>().toEqualTypeOf<PublicJwk[]>();
  });
});

describe('adapter and devkit public APIs', () => {
  it('export their entry points', () => {
    expect(typeof devkit.startDevStack).toBe('function');
    expect(typeof langchain.countersignTool).toBe('function');
    expect(typeof langchain.countersignTools).toBe('function');
    expect(typeof langchain.resumeWhenDecided).toBe('function');
    expect(typeof openai.createChatCompletionsTools).toBe('function');
    expect(typeof openai.createResponsesTools).toBe('function');
    expect(typeof openai.createAgentsTools).toBe('function');
  });
});
