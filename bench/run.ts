/**
 * Runs every `bench/*.bench.ts`, one after another, each in its own Node process (so one
 * benchmark's JIT state and garbage do not weigh on the next), and prints their markdown tables.
 *
 *   pnpm bench                  # all of them
 *   pnpm bench dpop assertion   # only files whose name contains one of the words
 *
 * `BENCH_ROUNDS` and `BENCH_TIME_MS` are passed through (see bench/support/side-by-side.ts).
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { machine } from './support/side-by-side.js';

const directory = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const files = (await readdir(directory))
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => filters.length === 0 || filters.some((word) => name.includes(word)))
  .sort();

if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(', ')}`);
  process.exit(1);
}

console.log(`# Countersign benchmarks\n\n${machine()}\n`);
let failed = 0;
for (const file of files) {
  console.log(`## ${file}\n`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(file, import.meta.url))], { stdio: 'inherit' });
    child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
  });
  if (code !== 0) {
    failed++;
    console.error(`${file} failed with exit code ${code}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
