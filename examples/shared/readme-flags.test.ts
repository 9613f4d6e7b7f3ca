// The READMEs list every flag the commands take: their blocks are generated from the same tables the
// commands parse with, and must be up to date (pnpm readme:flags rewrites them).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEV_STACK_FLAGS } from '../../packages/devkit/src/cli-flags.js';
import { aiSdkPayoutCommand } from '../ai-sdk-payout/command.js';
import { langchainPayoutCommand } from '../langchain-payout/command.js';
import { openaiPayoutCommand } from '../openai-payout/command.js';
import { demoCommand } from '../payout-demo/command.js';
import { generatedBlocks, replaceBlock } from './readme-flags.js';
import { repositoryRoot } from './run-command.js';

describe('README flag lists', () => {
  it.each(generatedBlocks().map((block) => [`${block.file}: ${block.name}`, block] as const))('%s is up to date (run pnpm readme:flags)', async (_label, block) => {
    const text = await readFile(join(repositoryRoot, block.file), 'utf8');
    expect(replaceBlock(text, block)).toBe(text);
  });

  it('README.md names every flag of every example, and the devkit README every countersign-dev flag', async () => {
    const readme = await readFile(join(repositoryRoot, 'README.md'), 'utf8');
    for (const command of [demoCommand, openaiPayoutCommand, langchainPayoutCommand, aiSdkPayoutCommand]) {
      for (const name of Object.keys(command.flags)) expect(readme).toMatch(new RegExp(`\`--${name}[ \`]`));
    }
    const devkitReadme = await readFile(join(repositoryRoot, 'packages/devkit/README.md'), 'utf8');
    for (const flag of DEV_STACK_FLAGS) expect(devkitReadme).toMatch(new RegExp(`\`(-h, )?--${flag.name}[ \`]`));
    for (const flag of ['--state-dir', '--offline', '--model', '--scripted']) expect(readme).toContain(`\`${flag}`);
    for (const flag of ['--poll-interval', '--approval-ttl']) expect(devkitReadme).toContain(`\`${flag}`);
  });
});
