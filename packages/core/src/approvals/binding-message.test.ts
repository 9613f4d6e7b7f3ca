import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { MAX_BINDING_MESSAGE_LENGTH, validateBindingMessage } from './binding-message.js';

describe('validateBindingMessage', () => {
  it('accepts a short line of text, including non-ASCII letters', () => {
    expect(validateBindingMessage('Pay 1,250.00 EUR to Müller GmbH (acc_ops)')).toBe('Pay 1,250.00 EUR to Müller GmbH (acc_ops)');
    expect(validateBindingMessage('é'.repeat(MAX_BINDING_MESSAGE_LENGTH))).toHaveLength(MAX_BINDING_MESSAGE_LENGTH);
  });

  it.each([
    ['not a string', 42],
    ['blank', '   '],
    ['too long', 'x'.repeat(MAX_BINDING_MESSAGE_LENGTH + 1)],
    ['a line break', 'Pay\r\n100'],
    ['a tab', 'Pay\t100'],
    ['a right-to-left override', 'Pay 100 \u202EUSD'],
  ])('refuses %s without echoing it', (_name, message) => {
    let error: unknown;
    try {
      validateBindingMessage(message);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    if (typeof message === 'string' && message.trim()) expect((error as Error).message).not.toContain(message);
  });
});
