import { CountersignError } from '@countersign/core';

/**
 * `createResourceServer` was given unusable options, or the issuer could not be discovered.
 * Never carries a secret: it names the option or the endpoint that failed.
 */
export class ResourceServerConfigurationError extends CountersignError {
  static override readonly code: string = 'ERR_RESOURCE_SERVER_CONFIGURATION';
  override readonly code = 'ERR_RESOURCE_SERVER_CONFIGURATION';
}
