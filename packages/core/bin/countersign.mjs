#!/usr/bin/env node
// The command's entry point. In a checkout of the Countersign repository (src/ beside this folder)
// it runs the TypeScript sources through tsx, so the command works right after `pnpm install` and
// always matches the code you read; in an installed package (no src/) it runs the build in dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/cli.ts', import.meta.url);
const workspaceTsconfig = new URL('../../../tsconfig.json', import.meta.url);
if (existsSync(source) && existsSync(workspaceTsconfig)) {
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: fileURLToPath(workspaceTsconfig) });
  await import(source.href);
} else {
  await import('../dist/cli.js');
}
