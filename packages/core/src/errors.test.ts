import { describe, expect, it } from 'vitest';
import * as core from './error-classes.js';
import * as root from './index.js';
import * as adapters from './adapters/index.js';
import * as audit from './audit/index.js';
import * as dpop from './dpop/index.js';
import * as keys from './keys/index.js';
import * as oauth from './oauth/index.js';
import * as tools from './tools/index.js';
import * as testing from './testing/index.js';

/** Every entry point of the package (package.json `exports`), by subpath. */
const entryPoints: Record<string, Record<string, unknown>> = { '.': root, './adapters': adapters, './audit': audit, './dpop': dpop, './keys': keys, './oauth': oauth, './tools': tools, './testing': testing, './errors': core };

/** One instance of every error class `@countersign/core/errors` exports, built with its real constructor. */
const instances: Record<string, core.CountersignError> = {
  CountersignError: new core.CountersignError('base'),
  InsecureEndpointError: new core.InsecureEndpointError('http://as.example', 'issuer'),
  DiscoveryError: new core.DiscoveryError('no metadata'),
  OAuthError: new core.OAuthError('invalid_client', undefined, 401),
  ResponseError: new core.ResponseError('bad', 502),
  TokenTypeDowngradeError: new core.TokenTypeDowngradeError('Bearer', 200),
  NetworkError: new core.NetworkError('down'),
  TimeoutError: new core.TimeoutError('slow'),
  ResourceChallengeError: new core.ResourceChallengeError(401, { error: 'invalid_token' }),
  InsufficientScopeError: new core.InsufficientScopeError(403, { error: 'insufficient_scope' }),
  InsufficientUserAuthenticationError: new core.InsufficientUserAuthenticationError(401, { error: 'insufficient_user_authentication' }),
  AgentRevokedError: new core.AgentRevokedError('disabled'),
  KeyError: new core.KeyError('no key'),
  KeyPermissionError: new core.KeyPermissionError('0644'),
  ApprovalDeniedError: new core.ApprovalDeniedError('approval-1'),
  ApprovalExpiredError: new core.ApprovalExpiredError('approval-1'),
  ApprovalMismatchError: new core.ApprovalMismatchError('other details'),
  ArgumentsChangedError: new core.ArgumentsChangedError('other arguments'),
  InvalidArgumentsError: new core.InvalidArgumentsError('create_payout', ['amount: required']),
  ApprovalStoreError: new core.ApprovalStoreError('corrupt'),
  AgentClosedError: new core.AgentClosedError('closed'),
  ConfigurationError: new core.ConfigurationError('missing'),
  MalformedApprovalError: new core.MalformedApprovalError('id'),
  ApprovalTokenUnavailableError: new core.ApprovalTokenUnavailableError('approval-1'),
  ApprovalGrantRefusedError: new core.ApprovalGrantRefusedError('approval-1'),
  ToolExecutionError: new core.ToolExecutionError('create_payout', new Error('boom')),
  ToolCallInProgressError: new core.ToolCallInProgressError('approval-1'),
  ToolOutcomeUnknownError: new core.ToolOutcomeUnknownError('approval-1'),
  StoredToolError: new core.StoredToolError('ERR_TOOL_EXECUTION', 'tool create_payout failed: boom', 'ToolExecutionError'),
  AuditSinkError: new core.AuditSinkError('closed'),
  AuditReadError: new core.AuditReadError('not JSON'),
  TokenAudienceError: new core.TokenAudienceError('https://api.example', 'https://other.example'),
  DpopProofError: new core.DpopProofError('method'),
  WorkloadTokenError: new core.WorkloadTokenError('unreadable'),
  JwtBearerGrantError: new core.JwtBearerGrantError(new core.OAuthError('invalid_grant', undefined, 400)),
};

type ErrorClass = typeof core.CountersignError;

function errorClassNames(entry: Record<string, unknown>): string[] {
  return Object.entries(entry)
    .filter(([, value]) => typeof value === 'function' && (value === core.CountersignError || value.prototype instanceof core.CountersignError))
    .map(([name]) => name);
}
const classes = Object.entries(instances).map(([name, instance]) => [name, instance.constructor as ErrorClass] as const);

describe('error classes', () => {
  it('cover every error class @countersign/core/errors exports', () => {
    expect(Object.keys(instances).sort()).toEqual(errorClassNames(core).sort());
  });

  it.each(Object.entries(entryPoints))('are all in @countersign/core/errors, the same classes, when entry %s exports them', (_subpath, entry) => {
    for (const name of errorClassNames(entry)) {
      expect((core as Record<string, unknown>)[name], name).toBe(entry[name]);
    }
  });

  it('each declare their own static code, distinct from every other class', () => {
    const codes = classes.map(([name, Class]) => [name, Object.hasOwn(Class, 'code') ? Class.code : undefined]);
    expect(codes.filter(([, code]) => typeof code !== 'string' || !/^ERR_[A-Z_]+$/.test(code))).toEqual([]);
    expect(new Set(codes.map(([, code]) => code)).size).toBe(classes.length);
  });

  it('give instances the code of their class (a stored error keeps the original code)', () => {
    for (const [name, Class] of classes) {
      const instance = instances[name]!;
      expect(instance.code, name).toBe(name === 'StoredToolError' ? 'ERR_TOOL_EXECUTION' : Class.code);
      expect(instance.name, name).toBe(name);
    }
  });

  describe.each(classes)('%s.isInstance', (name, Class) => {
    it('is true for its own instances and its subclasses, false for siblings, parents and plain errors', () => {
      for (const [otherName, other] of Object.entries(instances)) {
        expect(Class.isInstance(other), `${name}.isInstance(${otherName})`).toBe(other instanceof Class);
      }
      expect(Class.isInstance(instances[name])).toBe(true);
      expect(Class.isInstance(new Error('plain'))).toBe(false);
      expect(Class.isInstance(Object.assign(new Error('look-alike'), { code: Class.code }))).toBe(false);
      expect(Class.isInstance(undefined)).toBe(false);
    });
  });

  it('recognise an error from another installed copy of the package by its class codes', () => {
    const foreign = Object.assign(new Error('denied'), { [Symbol.for('countersign.error.codes')]: ['ERR_APPROVAL_DENIED', 'ERR_COUNTERSIGN'] });
    expect(core.ApprovalDeniedError.isInstance(foreign)).toBe(true);
    expect(core.CountersignError.isInstance(foreign)).toBe(true);
    expect(core.OAuthError.isInstance(foreign)).toBe(false);
  });

  it('narrow the type to the class checked', () => {
    const error: unknown = instances.ApprovalDeniedError;
    if (core.ApprovalDeniedError.isInstance(error)) expect(error.approvalId).toBe('approval-1');
    else expect.unreachable('ApprovalDeniedError.isInstance(new ApprovalDeniedError())');
  });
});
