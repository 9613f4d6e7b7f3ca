import { CountersignError } from '@countersign/core';

/**
 * `createResourceServer` was given unusable options, or the issuer could not be discovered.
 * Never carries a secret: it names the option or the endpoint that failed.
 */
export class ResourceServerConfigurationError extends CountersignError {
  static override readonly code: string = 'ERR_RESOURCE_SERVER_CONFIGURATION';
  override readonly code = 'ERR_RESOURCE_SERVER_CONFIGURATION';
}

/**
 * A replay store could not record a use, so the request it guards must not run: the memory store is
 * full of entries that have not expired yet (raise `maxEntries`, or share a Redis store).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-11.1
 */
export class ReplayStoreError extends CountersignError {
  static override readonly code: string = 'ERR_REPLAY_STORE';
  override readonly code = 'ERR_REPLAY_STORE';
}
