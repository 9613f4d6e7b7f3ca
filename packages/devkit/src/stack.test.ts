import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestAgent } from './authorization-server/testing/test-agent.js';
import { DevkitError } from './errors.js';
import { startDevStack } from './stack.js';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const cliPath = fileURLToPath(new URL('./cli.ts', import.meta.url));
const tsx = join(repositoryRoot, 'node_modules/.bin/tsx');

describe('startDevStack', () => {
  it('starts on free ports, registers agents from options, serves the inbox, and closes (twice is fine)', async () => {
    const agent = await createTestAgent('stack-agent');
    const stack = await startDevStack({ port: 0, toolApiPort: 0, agents: [{ clientId: agent.clientId, jwks: agent.jwks, scopes: ['accounts:read'] }] });
    try {
      expect(stack.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(stack.toolApiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(stack.inboxUrl).toBe(`${stack.issuer}/inbox`);
      const metadata = await (await fetch(`${stack.issuer}/.well-known/oauth-authorization-server`)).json();
      expect(metadata).toMatchObject({
        issuer: stack.issuer,
        // `none` is for workload agents only, whose one grant (JWT bearer) carries the credential.
        token_endpoint_auth_methods_supported: ['private_key_jwt', 'none'],
        backchannel_token_delivery_modes_supported: ['poll'],
        authorization_details_types_supported: ['agent_action'],
        grant_types_supported: expect.arrayContaining(['client_credentials', 'urn:openid:params:grant-type:ciba', 'urn:ietf:params:oauth:grant-type:jwt-bearer']),
      });
      expect(metadata.grant_types_supported).not.toContain('authorization_code');
      const inbox = await fetch(stack.inboxUrl);
      expect(inbox.status).toBe(200);
      expect(inbox.headers.get('content-type')).toMatch(/text\/html/);

      expect((await agent.post(`${stack.issuer}/token`, { grant_type: 'client_credentials', scope: 'accounts:read' })).status).toBe(200);
      const impostor = await createTestAgent('stack-agent');
      expect((await impostor.post(`${stack.issuer}/token`, { grant_type: 'client_credentials', scope: 'accounts:read' })).body.error).toBe('invalid_client');
    } finally {
      await stack.close();
      await stack.close();
    }
    await expect(fetch(`${stack.issuer}/jwks`)).rejects.toThrow();
  });

  it.each([
    [{ port: -1 }, /port must be an integer/],
    [{ toolApiPort: 70_000 }, /toolApiPort/],
    [{ accessTokenTtl: 301 }, /accessTokenTtl .* 1 to 300/],
    [{ actionTokenTtl: 121 }, /actionTokenTtl .* 1 to 120/],
    [{ pollInterval: 0 }, /pollInterval/],
    [{ dualControlThreshold: -5 }, /dualControlThreshold/],
  ])('refuses bad options %j', async (options, message) => {
    const error = await startDevStack({ port: 0, toolApiPort: 0, ...options }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DevkitError);
    expect((error as DevkitError).code).toBe('invalid_request');
    expect((error as Error).message).toMatch(message);
  });

  it('reports a taken port as port_in_use and leaves nothing running', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const asTaken = await startDevStack({ port, toolApiPort: 0 }).catch((thrown: unknown) => thrown);
      expect(asTaken).toMatchObject({ code: 'port_in_use' });
      const asPort = await freePort();
      const toolTaken = await startDevStack({ port: asPort, toolApiPort: port }).catch((thrown: unknown) => thrown);
      expect(toolTaken).toMatchObject({ code: 'port_in_use', message: expect.stringMatching(/tool API/) });
      const again = await startDevStack({ port: asPort, toolApiPort: 0 });
      await again.close();
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('refuses a bad agent in options and closes what it started', async () => {
    const [port, toolApiPort] = [await freePort(), await freePort()];
    const error = await startDevStack({ port, toolApiPort, agents: [{ clientId: 'x', jwks: { keys: [] }, scopes: [] }] }).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'invalid_request' });
    const again = await startDevStack({ port, toolApiPort });
    expect(again.issuer).toBe(`http://127.0.0.1:${port}`);
    expect(again.toolApiUrl).toBe(`http://127.0.0.1:${toolApiPort}`);
    await again.close();
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('countersign-dev', () => {
  const directories: string[] = [];
  afterAll(async () => {
    await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
  });

  it('prints the URLs, registers agents from a file, serves until SIGTERM, then exits 0', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'countersign-dev-'));
    directories.push(directory);
    const agent = await createTestAgent('cli-agent', { alg: 'EdDSA' });
    const agentsFile = join(directory, 'agents.json');
    await writeFile(agentsFile, JSON.stringify({ agents: [{ clientId: agent.clientId, jwks: agent.jwks, scopes: ['accounts:read'] }] }));

    const child = spawn(tsx, [cliPath, '--port', '0', '--tool-api-port', '0', '--agents', agentsFile], { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => output, { timeout: 30_000, interval: 100 }).toMatch(/Press Ctrl-C to stop/);
      const issuer = /issuer \(authorization server\)\s+(\S+)/.exec(output)![1]!;
      expect(output).toMatch(/tool API \(treasury\)\s+http:\/\/127\.0\.0\.1:\d+/);
      expect(output).toContain(`approval inbox                 ${issuer}/inbox`);
      expect(output).toMatch(/agent\s+cli-agent \[accounts:read\]/);

      const token = await agent.post(`${issuer}/token`, { grant_type: 'client_credentials', scope: 'accounts:read' });
      expect(token.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).toMatch(/countersign-dev: stopped/);
  }, 60_000);

  it('exits 1 with a usage hint on a bad option', async () => {
    const child = spawn(tsx, [cliPath, '--port', 'eighty'], { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(errors).toMatch(/--port must be a non-negative integer/);
    expect(errors).toMatch(/--help/);
  }, 60_000);
});
