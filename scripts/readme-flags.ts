// Rewrites the READMEs' generated flag lists from the commands' flag tables (pnpm readme:flags).
import { readFile, writeFile } from 'node:fs/promises';
import { generatedBlocks, replaceBlock } from '../examples/shared/readme-flags.js';

for (const block of generatedBlocks()) {
  const before = await readFile(block.file, 'utf8');
  const after = replaceBlock(before, block);
  if (after !== before) await writeFile(block.file, after);
  process.stdout.write(`${block.file}: ${after === before ? 'up to date' : 'updated'} (${block.name})\n`);
}
