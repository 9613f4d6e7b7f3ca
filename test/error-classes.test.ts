/**
 * Every error class any Countersign package exports (core's entry points and every adapter and
 * server package) is a CountersignError subclass with its own static `code`, and its `isInstance`
 * is true for that class and its subclasses only: checked across packages, so two packages cannot
 * share a code and a class cannot inherit its parent's marker.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CountersignError, OAuthError } from '@countersign/core';
import * as coreErrors from '@countersign/core/errors';
import * as aiSdk from '@countersign/ai-sdk';
import * as langchain from '@countersign/langchain';
import * as mcp from '@countersign/mcp';
import * as openai from '@countersign/openai';
import * as redis from '@countersign/redis';
import * as server from '@countersign/server';

/** The entry points of the packages built on core (each has only its root entry). */
const packages: Record<string, Record<string, unknown>> = {
  '@countersign/ai-sdk': aiSdk,
  '@countersign/langchain': langchain,
  '@countersign/mcp': mcp,
  '@countersign/openai': openai,
  '@countersign/redis': redis,
  '@countersign/server': server,
};

/** One instance of every error class those packages export, built with its real constructor. */
const instances: Record<string, CountersignError> = {
  MissingCheckpointerError: new langchain.MissingCheckpointerError('create_payout', true),
  UnknownToolError: new openai.UnknownToolError('delete_everything', ['create_payout']),
  McpAuthorizationError: new mcp.McpAuthorizationError('refused'),
  UntrustedAuthorizationServerError: new mcp.UntrustedAuthorizationServerError('not trusted', ['https://as.example']),
  McpApprovalRequiredError: new mcp.McpApprovalRequiredError('create_payout', [{ type: 'agent_action' }]),
  RedisUnavailableError: new redis.RedisUnavailableError('down'),
  RedisEvictionPolicyError: new redis.RedisEvictionPolicyError('allkeys-lru'),
  ResourceServerConfigurationError: new server.ResourceServerConfigurationError('missing issuer'),
  ReplayStoreError: new server.ReplayStoreError('full'),
  RequestBodyError: new server.RequestBodyError('body_too_large', 'too large'),
};

function errorClasses(entry: Record<string, unknown>): [string, typeof CountersignError][] {
  return Object.entries(entry).filter(
    (pair): pair is [string, typeof CountersignError] =>
      typeof pair[1] === 'function' && (pair[1] as { prototype: unknown }).prototype instanceof Error,
  );
}

/** Core's class names: a package's class must not take one (its instances would read as core's). */
const coreClassNames = errorClasses(coreErrors).map(([name]) => name);

describe('error classes of the packages built on core', () => {
  it('cover every error class those packages export, and each is a CountersignError', () => {
    const exported = Object.values(packages).flatMap((entry) => errorClasses(entry));
    expect(exported.map(([name]) => name).sort()).toEqual(Object.keys(instances).sort());
    for (const [name, Class] of exported) expect(Class.prototype instanceof CountersignError, name).toBe(true);
  });

  it('each declare their own static code, distinct from every other class of every package', () => {
    const classes = Object.values(instances).map((instance) => instance.constructor as typeof CountersignError);
    for (const Class of classes) {
      expect(Object.hasOwn(Class, 'code'), `${Class.name} declares static code`).toBe(true);
      expect(Class.code, Class.name).toMatch(/^ERR_[A-Z_]+$/);
    }
    const codes = [...classes, ...errorClasses(coreErrors).map(([, Class]) => Class)].map((Class) => Class.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [name, instance] of Object.entries(instances)) {
      expect(instance.code, name).toBe((instance.constructor as typeof CountersignError).code);
      expect(instance.name, name).toBe(name);
    }
  });

  describe.each(Object.entries(instances))('%s.isInstance', (name, instance) => {
    const Class = instance.constructor as typeof CountersignError;
    it('is true for its own instances, false for other packages\u2019 errors, core\u2019s errors and look-alikes', () => {
      for (const [otherName, other] of Object.entries(instances)) {
        expect(Class.isInstance(other), `${name}.isInstance(${otherName})`).toBe(other instanceof Class);
      }
      expect(Class.isInstance(new CountersignError('base'))).toBe(false);
      expect(Class.isInstance(new OAuthError('invalid_client', undefined, 401))).toBe(false);
      expect(Class.isInstance(Object.assign(new Error('look-alike'), { code: Class.code }))).toBe(false);
      expect(CountersignError.isInstance(instance)).toBe(true);
      expect(coreClassNames).not.toContain(name);
    });
  });
});

/**
 * Files that throw a plain Error inside the package and catch it there: each one's caller turns
 * it into a typed refusal or error, so it never reaches a user.
 */
const caughtInside: Record<string, string> = {
  'packages/server/src/lib/fetch-json.ts': 'discovery collects it into ResourceServerConfigurationError; keys and introspection refuse (keys_unavailable, introspection_unavailable)',
  'packages/server/src/lib/jws-signature.ts': 'importPublicJwk: its caller (tokens/jwks.ts importFor) treats the key as unusable',
  'packages/server/src/tokens/jwks.ts': 'load: every refresh() runs in a try that refuses with keys_unavailable',
};

describe('no plain TypeError, RangeError, SyntaxError or Error from a public function', () => {
  it('finds none thrown in the sources of core and the packages built on it, but where caught inside', () => {
    const throwing: string[] = [];
    for (const name of ['core', 'ai-sdk', 'langchain', 'mcp', 'openai', 'redis', 'server']) {
      const root = new URL(`../packages/${name}/src/`, import.meta.url);
      for (const file of readdirSync(root, { recursive: true }) as string[]) {
        if (!file.endsWith('.ts') || /\.(test|fixture)\.ts$/.test(file) || file.split('/').some((part) => part === 'testing' || part === 'test-support')) continue;
        const path = `packages/${name}/src/${file}`;
        const text = readFileSync(new URL(file, root), 'utf8');
        if (/throw new (TypeError|RangeError|SyntaxError|Error)\(/.test(text) && caughtInside[path] === undefined) throwing.push(path);
      }
    }
    expect(throwing).toEqual([]);
  });
});
