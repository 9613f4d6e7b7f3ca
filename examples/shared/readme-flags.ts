/**
 * The READMEs' flag lists, generated from the same tables the commands parse with: the examples'
 * `defineCommand` tables and `countersign-dev`'s DEV_STACK_FLAGS. `pnpm readme:flags` rewrites the
 * marked blocks; a test fails when a README is out of date.
 */
import { DEV_STACK_FLAGS, flagLabel } from '../../packages/devkit/src/cli-flags.js';
import { aiSdkPayoutCommand } from '../ai-sdk-payout/command.js';
import { langchainPayoutCommand } from '../langchain-payout/command.js';
import { openaiPayoutCommand } from '../openai-payout/command.js';
import { demoCommand } from '../payout-demo/command.js';
import type { FlagDefinition } from './cli.js';

/** One generated block: the file, the name in its markers, and its content. */
export interface GeneratedBlock {
  file: string;
  name: string;
  content: string;
}

const commands = [demoCommand, openaiPayoutCommand, langchainPayoutCommand, aiSdkPayoutCommand];

function label(name: string, flag: FlagDefinition): string {
  return `${flag.short ? `-${flag.short}, ` : ''}--${name}${flag.type === 'string' ? ` ${flag.value ?? '<value>'}` : ''}`;
}

function explain(flag: FlagDefinition): string {
  const defaults = flag.default !== undefined && flag.default !== false ? ` (default ${String(flag.default)})` : '';
  return cell(`${flag.description}${defaults}${flag.multiple ? ' (repeatable)' : ''}`);
}

/** Text safe in a Markdown table cell: no pipes, no HTML-looking `<n>`. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A code span safe in a Markdown table cell: a pipe such as `<url|auto>`'s would end the cell. */
function codeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The example flags block of README.md: the flags all examples share, then each one's own. */
export function exampleFlagsBlock(): string {
  const [first, ...others] = commands;
  const shared = Object.entries(first!.flags).filter(([name, flag]) =>
    others.every((command) => JSON.stringify((command.flags as Record<string, FlagDefinition>)[name]) === JSON.stringify(flag)),
  );
  const sharedNames = new Set(shared.map(([name]) => name));
  const lines = ['| flag | in | meaning |', '| --- | --- | --- |'];
  for (const [name, flag] of shared) lines.push(`| \`${codeCell(label(name, flag))}\` | all | ${explain(flag)} |`);
  for (const command of commands) {
    for (const [name, flag] of Object.entries(command.flags as Record<string, FlagDefinition>)) {
      if (!sharedNames.has(name)) lines.push(`| \`${codeCell(label(name, flag))}\` | \`${command.name}\` | ${explain(flag)} |`);
    }
  }
  lines.push('| `-h, --help` | all | prints the usage |');
  return lines.join('\n');
}

/** The `countersign-dev` flags block of the devkit README. */
export function devStackFlagsBlock(): string {
  return ['| flag | meaning |', '| --- | --- |', ...DEV_STACK_FLAGS.map((flag) => `| \`${flagLabel(flag)}\` | ${cell(flag.description)} |`)].join('\n');
}

/** Every generated block, by file. */
export function generatedBlocks(): GeneratedBlock[] {
  return [
    { file: 'README.md', name: 'example flags', content: exampleFlagsBlock() },
    { file: 'packages/devkit/README.md', name: 'countersign-dev flags', content: devStackFlagsBlock() },
  ];
}

/** `text` with the block between `<!-- generated: NAME -->` and `<!-- end generated: NAME -->` replaced; throws when the markers are missing. */
export function replaceBlock(text: string, block: GeneratedBlock): string {
  const start = `<!-- generated: ${block.name} (pnpm readme:flags) -->`;
  const end = `<!-- end generated: ${block.name} -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to < from) throw new Error(`${block.file} has no "${block.name}" markers`);
  return `${text.slice(0, from + start.length)}\n${block.content}\n${text.slice(to)}`;
}
