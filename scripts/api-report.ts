/**
 * The public API report of @countersign/core: for every entry point in package.json `exports`, every
 * name it exports with its declaration as the TypeScript compiler emits it (comments dropped). One
 * file per entry point under packages/core/api/ (core.api.md for the root, core.<subpath>.api.md
 * for the others), checked in, so a change of the public surface shows as a diff in review. Fails
 * when a public declaration uses one of Countersign's types that no entry point exports, when a
 * name other than an error class is exported by two entry points, and when
 * the root entry exports more than {@link ROOT_LIMIT} names.
 *
 *   pnpm api-report          # rewrites the reports after an intended change
 *   pnpm api-report --check  # fails when a report is out of date (run by scripts/test-all.sh)
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import tsupConfig from '../packages/core/tsup.config.js';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const corePackage = join(root, 'packages/core');
const coreSource = join(corePackage, 'src');
const reportDirectory = join(corePackage, 'api');
/** The root entry is what an agent developer reads first: it stays small (docs/public-api.md). */
const ROOT_LIMIT = 60;

/**
 * Entry points as package.json `exports` names them (`@countersign/core/dpop`), and their sources
 * (tsup's `entry` of the same dist name), so a new entry point is reported without editing this file.
 */
function entryPoints(): Record<string, string> {
  const manifest = JSON.parse(readFileSync(join(corePackage, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const tsupEntries = (Array.isArray(tsupConfig) ? tsupConfig[0] : tsupConfig).entry as Record<string, string>;
  const entries: Record<string, string> = {};
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    if (subpath === './package.json') continue;
    const distFile = (target as { import: { default: string } }).import.default; // ./dist/dpop.js
    const source = tsupEntries[distFile.replace(/^\.\/dist\//, '').replace(/\.js$/, '')];
    if (!source) throw new Error(`package.json exports ${subpath} (${distFile}) has no tsup entry`);
    entries[subpath === '.' ? '@countersign/core' : `@countersign/core/${subpath.slice(2)}`] = source.replace(/^src\//, '');
  }
  return entries;
}

/** The report file of an entry point: core.api.md, core.dpop.api.md, ... */
function reportFile(name: string): string {
  return `${name.replace('@countersign/', '').replace('/', '.')}.api.md`;
}

const compilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
  types: ['node'],
  strict: true,
  skipLibCheck: true,
  declaration: true,
  emitDeclarationOnly: true,
  rootDir: coreSource,
};

function reports(entries: Record<string, string>): Map<string, string> {
  const out = mkdtempSync(join(tmpdir(), 'countersign-api-'));
  try {
    const program = ts.createProgram(
      Object.values(entries).map((entry) => join(coreSource, entry)),
      { ...compilerOptions, outDir: out },
    );
    const emitted = program.emit();
    const errors = ts.getPreEmitDiagnostics(program).concat(emitted.diagnostics).filter((d) => d.category === ts.DiagnosticCategory.Error);
    if (errors.length > 0) throw new Error(ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }));
    const declarations = Object.values(entries).map((entry) => join(out, entry.replace(/\.ts$/, '.d.ts')));
    const declarationProgram = ts.createProgram(declarations, { ...compilerOptions, noEmit: true, declaration: false, emitDeclarationOnly: false, rootDir: out });
    const checker = declarationProgram.getTypeChecker();
    const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });
    const exportsOf = new Map<string, ts.Symbol[]>();
    for (const [name, entry] of Object.entries(entries)) {
      const file = declarationProgram.getSourceFile(join(out, entry.replace(/\.ts$/, '.d.ts')))!;
      const moduleSymbol = checker.getSymbolAtLocation(file)!;
      exportsOf.set(name, checker.getExportsOfModule(moduleSymbol).sort((a, b) => a.getName().localeCompare(b.getName())));
    }
    // A declaration may use a type that any entry point exports (a root signature may name a type
    // the building-block entries hold): users can import it from there.
    const exportedNames = new Set([...exportsOf.values()].flat().map((symbol) => symbol.getName()));
    const rootCount = exportsOf.get('@countersign/core')!.length;
    if (rootCount > ROOT_LIMIT) throw new Error(`the root entry @countersign/core exports ${rootCount} names, more than ${ROOT_LIMIT}: move building blocks to a subpath entry (docs/public-api.md)`);
    // One name, one entry: only error classes are also in @countersign/core/errors (docs/public-api.md).
    const entriesOf = new Map<string, string[]>();
    for (const [name, exported] of exportsOf) for (const symbol of exported) entriesOf.set(symbol.getName(), [...(entriesOf.get(symbol.getName()) ?? []), name]);
    const errorNames = new Set(exportsOf.get('@countersign/core/errors')?.map((symbol) => symbol.getName()));
    const twice = [...entriesOf].filter(([name, where]) => where.length > 1 && !errorNames.has(name));
    if (twice.length > 0) throw new Error(`names exported by more than one entry point (only an error class may be: all are in @countersign/core/errors):\n  ${twice.map(([name, where]) => `${name}: ${where.join(', ')}`).join('\n  ')}`);
    const missing = new Set<string>();
    const files = new Map<string, string>();
    for (const [name, exported] of exportsOf) {
      const lines = [
        `# API report of ${name}`,
        '',
        'Generated by `pnpm api-report` (scripts/api-report.ts); do not edit. A change here is a change of the public API.',
        '',
        `## ${name} (${exported.length} names)`,
        '',
        '```ts',
      ];
      for (const symbol of exported) {
        const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        for (const declaration of target.declarations ?? []) {
          const node = ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration;
          const from = relative(out, declaration.getSourceFile().fileName).replace(/\.d\.ts$/, '');
          const text = printer.printNode(ts.EmitHint.Unspecified, node, declaration.getSourceFile());
          lines.push(`// ${symbol.getName()} (${from})`, text, '');
          for (const hidden of unexportedReferences(checker, node, out, exportedNames)) missing.add(`${name}: ${symbol.getName()} uses ${hidden}`);
        }
      }
      lines.push('```', '');
      files.set(reportFile(name), lines.join('\n'));
    }
    if (missing.size > 0) throw new Error(`public declarations use types no entry point exports:\n  ${[...missing].join('\n  ')}`);
    return files;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Names of Countersign's own types that `node` refers to but its entry point does not export. */
function unexportedReferences(checker: ts.TypeChecker, node: ts.Node, out: string, exportedNames: ReadonlySet<string>): string[] {
  const found: string[] = [];
  const visit = (child: ts.Node) => {
    if (ts.isTypeReferenceNode(child) || ts.isExpressionWithTypeArguments(child)) {
      const nameNode = ts.isTypeReferenceNode(child) ? child.typeName : child.expression;
      let symbol = checker.getSymbolAtLocation(nameNode);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      const declaration = symbol?.declarations?.[0];
      if (
        symbol &&
        declaration &&
        !(symbol.flags & ts.SymbolFlags.TypeParameter) &&
        declaration.getSourceFile().fileName.startsWith(out) &&
        !exportedNames.has(symbol.getName())
      ) {
        found.push(symbol.getName());
      }
    }
    ts.forEachChild(child, visit);
  };
  visit(node);
  return found;
}

const current = reports(entryPoints());
const saved = new Map<string, string>();
for (const file of readdirSync(reportDirectory, { withFileTypes: true }).filter((entry) => entry.isFile() && entry.name.endsWith('.api.md'))) {
  saved.set(file.name, readFileSync(join(reportDirectory, file.name), 'utf8'));
}
const changed = [...new Set([...current.keys(), ...saved.keys()])].filter((file) => current.get(file) !== saved.get(file)).sort();
const shown = (file: string) => relative(root, join(reportDirectory, file));
if (process.argv.includes('--check')) {
  if (changed.length > 0) {
    console.error(`the public API of @countersign/core changed; out of date: ${changed.map(shown).join(', ')}. Review the change, then run: pnpm api-report`);
    process.exit(1);
  }
  console.log(`${current.size} API reports under ${relative(root, reportDirectory)} match the public API`);
} else {
  mkdirSync(reportDirectory, { recursive: true });
  for (const file of changed) {
    const text = current.get(file);
    if (text === undefined) rmSync(join(reportDirectory, file));
    else writeFileSync(join(reportDirectory, file), text);
  }
  console.log(changed.length > 0 ? `wrote ${changed.map(shown).join(', ')}` : 'API reports already up to date');
}
