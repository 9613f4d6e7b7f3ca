// Loads every built package and every entry point in its package.json `exports` the way users will,
// by package name, as ESM and as CommonJS, outside any bundler or test alias, and checks that both
// expose the same names, and that a class shared by two entry points is the same object in each.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
let failures = 0;
const fail = (message) => {
  failures += 1;
  console.error(message);
};

for (const name of ['core', 'devkit', 'langchain', 'openai', 'redis', 'server', 'mcp', 'ai-sdk']) {
  const manifest = JSON.parse(readFileSync(resolve('packages', name, 'package.json'), 'utf8'));
  const subpaths = Object.keys(manifest.exports ?? { '.': null }).filter((subpath) => subpath !== './package.json');
  const loaded = [];
  for (const subpath of subpaths) {
    const specifier = subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
    const esmModule = await import(specifier);
    const cjsModule = require(specifier);
    const esm = Object.keys(esmModule).sort();
    const cjs = Object.keys(cjsModule).filter((key) => key !== '__esModule').sort();
    const same = esm.length === cjs.length && esm.every((key, index) => key === cjs[index]);
    if (!same || esm.length === 0) fail(`${specifier}: ESM exports ${esm.length}, CJS exports ${cjs.length}, mismatch or empty`);
    else console.log(`${specifier}: ${esm.length} exports load as ESM and CJS`);
    loaded.push({ specifier, esmModule, cjsModule });
  }
  // One class per name across entry points (an error class re-exported by the root and ./errors).
  for (const format of ['esmModule', 'cjsModule']) {
    const seen = new Map();
    for (const entry of loaded) {
      for (const [key, value] of Object.entries(entry[format])) {
        if (typeof value !== 'function' && (typeof value !== 'object' || value === null)) continue;
        const first = seen.get(key);
        if (first === undefined) seen.set(key, { specifier: entry.specifier, value });
        else if (first.value !== value) fail(`${key} differs between ${first.specifier} and ${entry.specifier} (${format === 'esmModule' ? 'ESM' : 'CJS'}): two copies of one export`);
      }
    }
  }
}
process.exit(failures === 0 ? 0 : 1);
