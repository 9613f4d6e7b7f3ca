import { CountersignError } from '../errors.js';

/**
 * A DPoP proof cannot be made for this input: the method is not an HTTP method token, the URL is
 * not an absolute `http:`/`https:` URL, the access token is empty, the nonce is not a string, or the
 * proof time is not a finite number. Nothing was signed. The message names the member at fault,
 * never its value (it could be a token).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export class DpopProofError extends CountersignError {
  static override readonly code: string = 'ERR_DPOP_PROOF';
  override readonly code = 'ERR_DPOP_PROOF';
}
