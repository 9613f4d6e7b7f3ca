import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as root from './index.js';

/** The root entry holds what an agent developer uses; building blocks go to subpaths (docs/public-api.md). */
const ROOT_LIMIT = 60;

/** Every name `file` exports (values and types), read from its export clauses; `export *` is refused. */
function exportedNames(file: URL): { values: string[]; types: string[] } {
  const source = ts.createSourceFile(file.pathname, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const values: string[] = [];
  const types: string[] = [];
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      if (!statement.exportClause || !ts.isNamedExports(statement.exportClause)) throw new Error(`${file.pathname}: export * is not allowed, export by name`);
      for (const element of statement.exportClause.elements) {
        (statement.isTypeOnly || element.isTypeOnly ? types : values).push(element.name.text);
      }
    } else if (ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword)) {
      throw new Error(`${file.pathname}: declares an export in place, re-export it by name`);
    }
  }
  return { values, types };
}

describe('the root entry @countersign/core', () => {
  const { values, types } = exportedNames(new URL('./index.ts', import.meta.url));

  it(`exports at most ${ROOT_LIMIT} names, values and types together`, () => {
    expect(new Set([...values, ...types]).size).toBeLessThanOrEqual(ROOT_LIMIT);
  });

  it('exports at run time exactly the values its source names (the count above is the real one)', () => {
    expect(Object.keys(root).sort()).toEqual([...values].sort());
  });
});
