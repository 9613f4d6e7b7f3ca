import { defineConfig } from 'tsup';

/** The package's entry points (package.json `exports`): the root, then the building blocks. */
const entries = {
  index: 'src/index.ts',
  adapters: 'src/adapters/index.ts',
  dpop: 'src/dpop/index.ts',
  oauth: 'src/oauth/index.ts',
  keys: 'src/keys/index.ts',
  tools: 'src/tools/index.ts',
  audit: 'src/audit/index.ts',
  errors: 'src/error-classes.ts',
  testing: 'src/testing/index.ts',
};

export default defineConfig({
  entry: { ...entries, cli: 'src/cli.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  // Shared chunks in both formats: every entry gets the same class objects (an error class, a
  // cache), so `instanceof` holds across `@countersign/core` and its subpaths under require() too.
  splitting: true,
});
