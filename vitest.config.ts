import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Source aliases so tests run against the TypeScript sources, without a build step. Subpath
 * entries first: an alias also matches `name/...`.
 */
const subpaths: Record<string, string> = {
  '@countersign/core/adapters': './packages/core/src/adapters/index.ts',
  '@countersign/core/dpop': './packages/core/src/dpop/index.ts',
  '@countersign/core/oauth': './packages/core/src/oauth/index.ts',
  '@countersign/core/keys': './packages/core/src/keys/index.ts',
  '@countersign/core/tools': './packages/core/src/tools/index.ts',
  '@countersign/core/audit': './packages/core/src/audit/index.ts',
  '@countersign/core/errors': './packages/core/src/error-classes.ts',
  '@countersign/core/testing': './packages/core/src/testing/index.ts',
};
const alias = [
  ...Object.entries(subpaths).map(([find, path]) => ({ find, replacement: fileURLToPath(new URL(path, import.meta.url)) })),
  ...['core', 'devkit', 'langchain', 'openai', 'redis', 'server', 'mcp', 'ai-sdk'].map((name) => ({
    find: `@countersign/${name}`,
    replacement: fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url)),
  })),
];

export default defineConfig({
  resolve: { alias },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll waits for a browser or a child process to catch up: 1 s (vitest's default) is
    // too short on a loaded 2-core CI machine; a poll still fails if the state never arrives.
    expect: { poll: { timeout: 10_000 } },
    projects: [
      ...['core', 'devkit', 'langchain', 'openai', 'redis', 'server', 'mcp', 'ai-sdk'].map((name) => ({
        extends: true as const,
        test: { name, include: [`packages/${name}/src/**/*.test.ts`] },
      })),
      {
        extends: true as const,
        test: { name: 'integration', include: ['test/**/*.test.ts', 'examples/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
      },
    ],
  },
});
