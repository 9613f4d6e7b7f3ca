// Loads every built package the way users will, as ESM and as CommonJS, outside any bundler or
// test alias, and checks that both expose the same names.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
let failures = 0;
for (const name of ['core', 'devkit', 'langchain', 'openai', 'redis', 'server', 'mcp', 'ai-sdk']) {
  const directory = resolve('packages', name, 'dist');
  const esm = Object.keys(await import(pathToFileURL(resolve(directory, 'index.js')).href)).sort();
  const cjs = Object.keys(require(resolve(directory, 'index.cjs'))).filter((key) => key !== '__esModule').sort();
  const same = esm.length === cjs.length && esm.every((key, index) => key === cjs[index]);
  if (!same || esm.length === 0) {
    failures += 1;
    console.error(`@countersign/${name}: ESM exports ${esm.length}, CJS exports ${cjs.length}, mismatch or empty`);
  } else {
    console.log(`@countersign/${name}: ${esm.length} exports load as ESM and CJS`);
  }
}
process.exit(failures === 0 ? 0 : 1);
