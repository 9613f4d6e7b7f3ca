// Runs the example exactly as a developer would, unattended: its Express API protected by
// @countersign/server, the devkit stack in-process on free ports, the deletion approved with --approve-as.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

function runExample(...flags: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/protect-your-api/main.ts', ...flags], {
      cwd: repositoryRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('examples/protect-your-api', () => {
  it('reads, is refused without a token, deletes once after --approve-as alice, and refuses the replay', async () => {
    const { code, output } = await runExample('--approve-as', 'alice');
    expect(output).toContain('read     GET /notes -> 200 [{"id":"n-1","title":"Quarterly plan"},{"id":"n-2","title":"Old draft"}]');
    expect(output).toMatch(/refused {2}GET \/notes without a token -> 401, WWW-Authenticate: DPoP scope="notes:read", algs="ES256 EdDSA"/);
    expect(output).toContain('paused   delete_note waits for alice: "Delete note n-2"');
    expect(output).toContain('ran      POST /notes/delete -> 200 {"deleted":true,"remaining":1}');
    expect(output).toContain('refused  the same approval again -> ERR_RESOURCE_CHALLENGE');
    expect(output).toContain('this action token was already used');
    expect(code).toBe(0);
  }, 120_000);
});
