/**
 * Integration tests of @countersign/core's network layer: discovery, the token client, the token
 * cache and DPoP on every request, against the devkit's real servers and a real misbehaving
 * server. The last test looks at every error all of them provoked: none may carry a token, an
 * assertion or private key material.
 */
import { describe, expect, it } from 'vitest';
import { collectedErrors, knownSecrets, textsOf } from './helpers/error-collector.js';
import { devStackScenarios } from './helpers/scenarios/dev-stack-scenarios.js';
import { misbehavingServerScenarios } from './helpers/scenarios/misbehaving-server-scenarios.js';

devStackScenarios();
misbehavingServerScenarios();

describe('secrets in errors', () => {
  it('no error provoked above carries a token, an assertion or private key material, in its message or causes', () => {
    const errors = collectedErrors();
    const secrets = knownSecrets();
    expect(errors.length).toBeGreaterThanOrEqual(20);
    expect(secrets.length).toBeGreaterThanOrEqual(20);
    // The detector itself finds a secret hidden two causes deep.
    const planted = new Error('outer', { cause: new Error('middle', { cause: new Error(`inner ${secrets[0]}`) }) });
    expect(textsOf(planted).join('\n')).toContain(secrets[0]);
    const leaks: string[] = [];
    for (const error of errors) {
      const texts = textsOf(error).join('\n');
      for (const secret of secrets) if (texts.includes(secret)) leaks.push(`${(error as Error).name}: ${(error as Error).message}`);
    }
    expect(leaks).toEqual([]);
  });
});
