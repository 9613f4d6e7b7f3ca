import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCompactJwsSigner } from '../jws.js';
import { createNodeSigner } from '../keys/node-signer.js';
import { canonicalSha256 } from '../lib/canonical-json.js';
import { prepareAuditEvent } from './prepare-audit-event.js';
import { scrubSecrets, scrubString } from './scrub-secrets.js';
import { summarizeArguments } from './summarize-arguments.js';
import type { AuditEvent } from './types.js';

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer = createNodeSigner(privateKey);
const jwt = createCompactJwsSigner(signer, { typ: 'at+jwt', kid: signer.kid }).sign({ sub: 'payout-agent', scope: 'payouts:write' }) as string;
const dpopProof = createCompactJwsSigner(signer, { typ: 'dpop+jwt', jwk: signer.publicJwk }).sign({ htm: 'POST', htu: 'http://127.0.0.1/x' }) as string;
const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
const privateJwk = privateKey.export({ format: 'jwk' });

describe('scrubString', () => {
  it('replaces compact JWS (access tokens, DPoP proofs, assertions) wherever they sit in a string', () => {
    expect(scrubString(jwt)).toBe('[redacted:jws]');
    expect(scrubString(`DPoP ${jwt}`)).toBe('DPoP [redacted:jws]');
    expect(scrubString(`proof=${dpopProof}; token=${jwt}.`)).toBe('proof=[redacted:jws]; token=[redacted:jws].');
  });

  it('replaces an unsigned JWT, a JWS with detached payload and a five-part JWE', () => {
    const header = Buffer.from('{"alg":"none"}').toString('base64url');
    const payload = Buffer.from('{"sub":"x"}').toString('base64url');
    expect(scrubString(`${header}.${payload}.`)).toBe('[redacted:jws]');
    expect(scrubString(`${header}..c2ln`)).toBe('[redacted:jws]');
    const jweHeader = Buffer.from('{"alg":"dir","enc":"A128GCM"}').toString('base64url');
    expect(scrubString(`${jweHeader}..aXY.Y2lwaGVy.dGFn`)).toBe('[redacted:jws]');
    // A header serialized with white space still starts like a JSON object.
    expect(scrubString(`${Buffer.from('{ "alg": "ES256" }').toString('base64url')}.${payload}.c2ln`)).toBe('[redacted:jws]');
  });

  it('replaces PEM blocks, complete or cut', () => {
    expect(scrubString(pem)).toBe('[redacted:pem]\n');
    expect(scrubString(`key: ${pem.slice(0, 80)}`)).toBe('key: [redacted:pem]');
  });

  it('replaces a JSON text that holds a private JWK', () => {
    expect(scrubString(JSON.stringify(privateJwk))).toBe('[redacted:jwk]');
    expect(scrubString(JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }))).toBe(JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }));
  });

  it('leaves ordinary dotted strings alone: hosts, versions, URLs, sentences', () => {
    for (const text of [
      'http://127.0.0.1:4001/payouts',
      'api.example.com',
      'version 1.2.3',
      'eyes.are.blue',
      'everything.is.fine.here',
      'payouts:write accounts:read',
      'Pay 1200.00 EUR to ACME Ltd.',
    ]) {
      expect(scrubString(text)).toBe(text);
    }
  });

  it('never lets a compact JWS through, whatever surrounds it (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (before, after) => {
        const scrubbed = scrubString(`${before} ${jwt} ${after}`);
        expect(scrubbed).not.toContain(jwt);
        expect(scrubbed).not.toContain(jwt.split('.')[2]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('scrubSecrets', () => {
  it('walks objects and arrays, reports the paths it replaced, and drops private JWK members', () => {
    const { value, redacted } = scrubSecrets({
      error: { code: 'ERR_OAUTH', message: `token ${jwt} rejected` },
      args: { keys: [{ ...privateJwk, kid: 'k1' }], note: 'fine', pem },
    });
    expect(value).toEqual({
      error: { code: 'ERR_OAUTH', message: 'token [redacted:jws] rejected' },
      args: { keys: [{ kty: 'EC', crv: 'P-256', x: privateJwk.x, y: privateJwk.y, kid: 'k1' }], note: 'fine', pem: '[redacted:pem]\n' },
    });
    expect(redacted).toEqual(['error.message', 'args.keys[0].d', 'args.pem']);
    expect(JSON.stringify(value)).not.toContain(privateJwk.d);
  });

  it('makes the copy JSON-safe: no functions, bigints as strings, no cycles, no binary', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const { value, redacted } = scrubSecrets({
      fn: () => 1,
      big: 12n,
      nan: Number.NaN,
      bytes: new Uint8Array([1, 2, 3]),
      when: new Date(0),
      cyclic,
      list: [undefined, 1],
    });
    expect(value).toEqual({
      big: '12',
      nan: null,
      bytes: '[redacted:binary]',
      when: '1970-01-01T00:00:00.000Z',
      cyclic: { name: 'loop', self: '[redacted:depth]' },
      list: [null, 1],
    });
    expect(redacted).toEqual(['bytes', 'cyclic.self']);
  });

  it('keeps a __proto__ member a plain member', () => {
    const input = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>;
    const { value } = scrubSecrets(input);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('summarizeArguments', () => {
  it('gives names, types and lengths, never values', () => {
    const args = { accountId: 'acc-123', recipient: 'ACME Ltd', amount: 1200, currency: 'EUR', urgent: true, memo: null, tags: ['a', 'b'], meta: { source: 'chat', nested: { deep: { deeper: { deepest: 1 } } } } };
    const summary = summarizeArguments(args);
    expect(summary).toEqual({
      accountId: 'string(7)',
      recipient: 'string(8)',
      amount: 'number',
      currency: 'string(3)',
      urgent: 'boolean',
      memo: 'null',
      tags: 'array(2)',
      meta: { source: 'string(4)', nested: { deep: { deeper: 'object(1)' } } },
    });
    const text = JSON.stringify(summary);
    for (const value of ['acc-123', 'ACME', '1200', 'EUR', 'chat']) expect(text).not.toContain(value);
  });

  it('summarizes non-object arguments under $ and caps the member count', () => {
    expect(summarizeArguments('secret')).toEqual({ $: 'string(6)' });
    expect(summarizeArguments([1, 2])).toEqual({ $: 'array(2)' });
    const wide = Object.fromEntries(Array.from({ length: 60 }, (_, index) => [`k${index}`, index]));
    const summary = summarizeArguments(wide);
    expect(Object.keys(summary)).toHaveLength(51);
    expect(summary['…']).toBe('10 more');
  });
});

describe('prepareAuditEvent', () => {
  const base: AuditEvent = { time: '2025-01-01T00:00:00.000Z', sequence: 1, event: 'tool.invoked', agent: 'a', kid: 'k', jkt: 'j', tool: 'create_payout' };

  it('replaces args with their hash and summary unless full payloads are asked for', () => {
    const args = { accountId: 'acc-1', amount: 5 };
    const redacted = prepareAuditEvent({ ...base, args });
    expect(redacted.args).toBeUndefined();
    expect(redacted.argsSha256).toBe(canonicalSha256(args));
    expect(redacted.argsSummary).toEqual({ accountId: 'string(5)', amount: 'number' });
    expect(prepareAuditEvent({ ...base, args }, { fullPayloads: true }).args).toEqual(args);
  });

  it('keeps a caller-supplied hash and scrubs secrets even in full payloads', () => {
    const event = prepareAuditEvent({ ...base, argsSha256: 'given', args: { token: jwt } }, { fullPayloads: true });
    expect(event.argsSha256).toBe('given');
    expect(event.args).toEqual({ token: '[redacted:jws]' });
    expect(event.redacted).toEqual(['args.token']);
    expect(prepareAuditEvent(event, { fullPayloads: true })).toEqual(event);
  });
});
