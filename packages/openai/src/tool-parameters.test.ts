import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationError } from '@countersign/core';
import { toolParameters } from './tool-parameters.js';

const payout = z.object({
  accountId: z.string(),
  recipient: z.string(),
  amount: z.number().positive(),
  currency: z.enum(['EUR', 'USD']),
  memo: z.string().optional(),
});

describe('toolParameters', () => {
  it('closes objects, requires every property and offers optional ones as nullable in strict mode', () => {
    const { parameters, strict } = toolParameters(payout);
    expect(strict).toBe(true);
    expect(parameters).toEqual({
      type: 'object',
      properties: {
        accountId: { type: 'string' },
        recipient: { type: 'string' },
        amount: { type: 'number', exclusiveMinimum: 0 },
        currency: { type: 'string', enum: ['EUR', 'USD'] },
        memo: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      },
      required: ['accountId', 'recipient', 'amount', 'currency', 'memo'],
      additionalProperties: false,
    });
    expect(parameters).not.toHaveProperty('$schema');
  });

  it('maps a null the model sent for an optional property back to "absent", and nothing else', () => {
    const { toToolArguments } = toolParameters(payout);
    expect(toToolArguments({ accountId: 'a', recipient: 'r', amount: 1, currency: 'EUR', memo: null })).toEqual({
      accountId: 'a',
      recipient: 'r',
      amount: 1,
      currency: 'EUR',
    });
    // A null where the schema does not make it mean "absent" reaches the guard, which refuses it.
    expect(toToolArguments({ accountId: null, memo: 'x' })).toEqual({ accountId: null, memo: 'x' });
    expect(toToolArguments('not an object')).toBe('not an object');
  });

  it('keeps a nullable optional property nullable (null stays null) and walks nested objects and arrays', () => {
    const schema = z.object({
      note: z.string().nullable().optional(),
      lines: z.array(z.object({ sku: z.string(), discount: z.number().optional() })),
      shipping: z.object({ address: z.string(), floor: z.int().optional() }).optional(),
    });
    const { parameters, strict, toToolArguments } = toolParameters(schema);
    expect(strict).toBe(true);
    expect((parameters.properties as Record<string, unknown>).note).toEqual({ type: ['string', 'null'] });
    expect(
      toToolArguments({ note: null, lines: [{ sku: 'a', discount: null }, { sku: 'b', discount: 2 }], shipping: { address: 'x', floor: null } }),
    ).toEqual({ note: null, lines: [{ sku: 'a' }, { sku: 'b', discount: 2 }], shipping: { address: 'x' } });
    expect(toToolArguments({ lines: [], shipping: null })).toEqual({ lines: [] });
  });

  it('falls back to the plain input schema, strict false, for what strict mode cannot express', () => {
    for (const schema of [
      z.object({ currency: z.string().length(3) }), // minLength/maxLength
      z.object({ tags: z.record(z.string(), z.string()) }), // open object
      z.looseObject({ a: z.string() }),
      z.object({ when: z.date() }), // unrepresentable
      z.object({ site: z.url() }), // format uri
      z.object({ pick: z.union([z.object({ a: z.string().optional() }), z.object({ b: z.string() })]) }), // optional inside a union
    ]) {
      const { parameters, strict, toToolArguments } = toolParameters(schema);
      expect(strict).toBe(false);
      expect(parameters.type).toBe('object');
      expect(parameters).not.toHaveProperty('$schema');
      const value = { currency: null };
      expect(toToolArguments(value)).toBe(value);
    }
  });

  it('never changes the caller-visible input schema and honours strict: false and strict: true', () => {
    const loose = toolParameters(payout, { strict: false });
    expect(loose.strict).toBe(false);
    expect(loose.parameters.required).toEqual(['accountId', 'recipient', 'amount', 'currency']);
    expect(() => toolParameters(z.object({ currency: z.string().length(3) }), { strict: true })).toThrow(ConfigurationError);
    expect(toolParameters(payout, { strict: true }).strict).toBe(true);
  });

  it('keeps unions of closed objects strict (no optional members inside)', () => {
    const schema = z.object({ target: z.union([z.object({ iban: z.string() }), z.object({ email: z.email() })]) });
    const { parameters, strict } = toolParameters(schema);
    expect(strict).toBe(true);
    const target = (parameters.properties as Record<string, { anyOf: Array<Record<string, unknown>> }>).target;
    for (const branch of target!.anyOf) expect(branch.additionalProperties).toBe(false);
  });
});
