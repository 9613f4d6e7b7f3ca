import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Source aliases so tests run against the TypeScript sources, without a build step. */
const alias = Object.fromEntries(
  ['core', 'devkit', 'langchain', 'openai', 'server', 'mcp'].map((name) => [
    `@countersign/${name}`,
    fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url)),
  ]),
);

export default defineConfig({
  resolve: { alias },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      ...['core', 'devkit', 'langchain', 'openai', 'server', 'mcp'].map((name) => ({
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
