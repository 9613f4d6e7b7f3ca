import { mkdtemp, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OAuthError } from '../errors.js';
import {
  JWT_BEARER_GRANT_TYPE,
  JwtBearerGrantError,
  WorkloadTokenError,
  jwtBearerParameters,
  terminalJwtBearerErrors,
  workloadTokenReader,
} from './jwt-bearer-grant.js';

const jwtA = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnYQ';
const jwtB = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiIn0.c2lnYg';

describe('workloadTokenReader', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'countersign-wif-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('re-reads a file when the platform rotates the token', async () => {
    const file = join(directory, 'token');
    await writeFile(file, `${jwtA}\n`);
    const reader = workloadTokenReader({ file });
    expect(await reader.read()).toBe(jwtA);
    // Rotated the way kubelet does it: a new file renamed over the old one.
    await writeFile(join(directory, 'next'), jwtB);
    await rename(join(directory, 'next'), file);
    expect(await reader.read()).toBe(jwtB);
  });

  it('calls a callback for every token request', async () => {
    let calls = 0;
    const reader = workloadTokenReader(() => (++calls === 1 ? jwtA : jwtB));
    expect(await reader.read()).toBe(jwtA);
    expect(await reader.read()).toBe(jwtB);
  });

  it('refuses a missing file, an empty file and text that is not a JWT, without quoting the content', async () => {
    await expect(workloadTokenReader({ file: join(directory, 'absent') }).read()).rejects.toMatchObject({ code: 'ERR_WORKLOAD_TOKEN' });
    await writeFile(join(directory, 'empty'), '\n');
    await expect(workloadTokenReader({ file: join(directory, 'empty') }).read()).rejects.toBeInstanceOf(WorkloadTokenError);
    await writeFile(join(directory, 'secret'), 'not-a-jwt-but-a-secret');
    const error = (await workloadTokenReader({ file: join(directory, 'secret') }).read().catch((caught: unknown) => caught)) as Error;
    expect(error).toBeInstanceOf(WorkloadTokenError);
    expect(error.message).not.toContain('not-a-jwt-but-a-secret');
    expect(() => workloadTokenReader('two.parts')).toThrow(WorkloadTokenError);
  });

  it('turns a failing callback into WorkloadTokenError', async () => {
    const reader = workloadTokenReader(() => {
      throw new Error('metadata server down');
    });
    await expect(reader.read()).rejects.toBeInstanceOf(WorkloadTokenError);
  });
});

describe('jwtBearerParameters', () => {
  it('sends the grant type, the assertion, and scope and resource when given', () => {
    expect(jwtBearerParameters(jwtA, { scope: 'tools:call', resource: 'https://mcp.example/mcp' })).toEqual({
      grant_type: JWT_BEARER_GRANT_TYPE,
      assertion: jwtA,
      scope: 'tools:call',
      resource: 'https://mcp.example/mcp',
    });
    expect(jwtBearerParameters(jwtA)).toEqual({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwtA });
  });
});

describe('JwtBearerGrantError', () => {
  it('keeps the OAuth error and says it is not retried', () => {
    const refusal = new OAuthError('invalid_grant', 'JWT assertion is expired', 400);
    const error = new JwtBearerGrantError(refusal);
    expect(error.code).toBe('ERR_JWT_BEARER_GRANT');
    expect(error.error).toBe('invalid_grant');
    expect(error.cause).toBe(refusal);
    expect(error.message).toContain('not retried');
    for (const code of ['invalid_grant', 'invalid_scope', 'unauthorized_client']) expect(terminalJwtBearerErrors.has(code)).toBe(true);
  });
});
