import { ConfigurationError } from '../errors.js';
import { findInvisibleCharacter } from '../lib/invisible-characters.js';

/** Longest binding message accepted, in characters (Unicode code points). */
export const MAX_BINDING_MESSAGE_LENGTH = 128;

/**
 * Checks a CIBA `binding_message`: it is shown on the approver's device and must be short and
 * plain, so it is 1 to {@link MAX_BINDING_MESSAGE_LENGTH} characters, not blank, with no character
 * that changes how the text reads without being seen: Unicode categories Cc, Cf, Zl and Zp (line
 * breaks, zero-width characters, bidirectional controls, U+00AD, U+FEFF), the tag characters
 * U+E0000-U+E007F and the fillers U+115F, U+1160, U+3164, U+FFA0. The error names the code point
 * and its position, never the message. Returns it unchanged.
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
  validateDisplayedText('binding message', message);
  return message;
}

/**
 * Refuses a string an approver will read when it holds an invisible, format or line-separator
 * character (the rule of {@link validateBindingMessage}); `what` names the string in the error.
 *
 * @throws {ConfigurationError} naming the code point and its position (the text is not echoed).
 */
export function validateDisplayedText(what: string, text: string): void {
  const found = findInvisibleCharacter(text);
  if (found !== undefined) {
    throw new ConfigurationError(
      `${what} contains ${found.label} at character ${found.position}: invisible, format and line-separator characters are refused because they make text read differently from what runs`,
    );
  }
}
