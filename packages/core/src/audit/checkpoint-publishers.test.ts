import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditReadError } from './audit-read-error.js';
import { readPublishedCheckpoints } from './checkpoint-publishers.js';

const directory = mkdtempSync(join(tmpdir(), 'countersign-checkpoints-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

describe('readPublishedCheckpoints', () => {
  it('reads JSON lines (blank lines skipped) and a JSON array', async () => {
    await expect(readPublishedCheckpoints(file('lines.jsonl', '{"sequence":1}\n\n{"sequence":2}\n'))).resolves.toEqual([{ sequence: 1 }, { sequence: 2 }]);
    await expect(readPublishedCheckpoints(file('array.json', ' [{"sequence":3}] '))).resolves.toEqual([{ sequence: 3 }]);
  });

  it('refuses a line that is not JSON with AuditReadError naming the line', async () => {
    const path = file('broken.jsonl', '{"sequence":1}\nnot json\n');
    const error = await readPublishedCheckpoints(path).catch((caught: unknown) => caught);
    expect(AuditReadError.isInstance(error)).toBe(true);
    expect((error as AuditReadError).code).toBe('ERR_AUDIT_READ');
    expect((error as AuditReadError).message).toBe(`line 2 of the checkpoints file ${path} is not JSON`);
  });

  it('refuses a broken JSON array, and a missing file with its errno code and the cause', async () => {
    const broken = file('broken.json', '[{"sequence":1},');
    await expect(readPublishedCheckpoints(broken)).rejects.toThrow(new AuditReadError(`the checkpoints file ${broken} is not a JSON array`));
    const missing = join(directory, 'missing.jsonl');
    const error = (await readPublishedCheckpoints(missing).catch((caught: unknown) => caught)) as AuditReadError;
    expect(error).toBeInstanceOf(AuditReadError);
    expect(error.message).toBe(`cannot read the checkpoints file ${missing} (ENOENT)`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});
