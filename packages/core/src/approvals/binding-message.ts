import { ConfigurationError } from '../errors.js';

/** Longest binding message accepted, in characters (Unicode code points). */
export const MAX_BINDING_MESSAGE_LENGTH = 128;

// Control characters (line breaks included), and the bidirectional overrides that could make a
// message read differently on the approver's screen than what was sent.
const FORBIDDEN = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

/**
 * Checks a CIBA `binding_message`: it is shown on the approver's device and must be short and
 * plain, so it is 1 to {@link MAX_BINDING_MESSAGE_LENGTH} characters on one line, not blank, with
 * no control or bidirectional-override characters. Returns it unchanged.
 *
 * @throws {ConfigurationError} when the message does not qualify (the message is not echoed).
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1
 */
export function validateBindingMessage(message: unknown): string {
  if (typeof message !== 'string' || message.trim() === '') {
    throw new ConfigurationError('binding message must be a non-empty string');
  }
  const length = [...message].length;
  if (length > MAX_BINDING_MESSAGE_LENGTH) {
    throw new ConfigurationError(`binding message is ${length} characters; at most ${MAX_BINDING_MESSAGE_LENGTH} are allowed, keep it short`);
  }
  if (FORBIDDEN.test(message)) {
    throw new ConfigurationError('binding message must be one line of plain text (no control or bidirectional-override characters)');
  }
  return message;
}
