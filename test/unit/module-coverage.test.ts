// Every module of the pure core and every chat channel has a unit test that imports it: a module
// nobody imports from test/unit can change behaviour without a single test noticing.
// Imports are read from the syntax tree and resolved as Node would resolve them (relative paths
// only), so a test that merely names a module in a string or a comment does not count, and neither
// does a type-only import: it checks a shape, never runs the module. A module that declares types
// only (types.ts) has nothing to run and so nothing to test.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
/** Folders whose every module needs a unit test; src/channels is included as soon as it exists. */
const GUARDED = ['src/core', 'src/channels'];
const TESTS = 'test/unit';

/** Every .ts file below `dir` (relative to the repo root), or none when the folder does not exist. */
function tsFilesUnder(dir: string): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(abs, f))
    .sort();
}

/** The module specifiers a file loads at run time: value imports, re-exports and dynamic import(). */
function runtimeImports(source: string, fileName = 'x.ts'): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            bindings !== undefined &&
            ts.isNamedImports(bindings) &&
            bindings.elements.length > 0 &&
            bindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) found.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length === 1 &&
      ts.isStringLiteralLike(node.arguments[0]!)
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** The .ts file a relative specifier names (`../../src/core/x.js` -> src/core/x.ts), or null for a package. */
function resolveSpecifier(fromFile: string, specifier: string): string | null {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return null;
  const target = resolve(dirname(fromFile), specifier);
  const candidates = /\.[cm]?js$/.test(target)
    ? [target.replace(/\.([cm]?)js$/, '.$1ts')]
    : target.endsWith('.ts')
      ? [target]
      : [`${target}.ts`, join(target, 'index.ts')];
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
}

/** Whether a module still holds code once its types are erased (a file of interfaces does not). */
function hasRuntimeCode(source: string): boolean {
  const js = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, removeComments: true },
  }).outputText;
  return js.replace(/^\s*export \{\};?\s*$/m, '').trim() !== '';
}

function importedByUnitTests(): Set<string> {
  const imported = new Set<string>();
  for (const test of tsFilesUnder(TESTS).filter((f) => f.endsWith('.test.ts'))) {
    for (const spec of runtimeImports(readFileSync(test, 'utf8'), test)) {
      const target = resolveSpecifier(test, spec);
      if (target !== null) imported.add(target);
    }
  }
  return imported;
}

describe('reading imports', () => {
  it('counts value imports, re-exports and dynamic imports, and leaves out type-only ones', () => {
    const source = [
      "import { a } from './a.js';",
      "import b from '../b.js';",
      "import * as c from './c.js';",
      "import './d.js';",
      "import type { E } from './e.js';",
      "import { type F, type G } from './f.js';",
      "import { type H, h } from './h.js';",
      "export { i } from './i.js';",
      "export type { J } from './j.js';",
      "const k = await import('./k.js');",
      "// import { l } from './l.js';",
      "const m = './m.js';",
    ].join('\n');
    expect(runtimeImports(source)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './h.js', './i.js', './k.js']);
  });

  it('tells a module of types alone from one with code', () => {
    expect(hasRuntimeCode("import type { A } from './a.js';\nexport interface B { a: A }\nexport type C = B[];")).toBe(
      false,
    );
    expect(hasRuntimeCode('export interface B { a: number }\nexport const b: B = { a: 1 };')).toBe(true);
    expect(hasRuntimeCode('export enum E { A }')).toBe(true);
  });

  it('resolves ../../src/core/x.js from a test file to src/core/x.ts, and leaves packages alone', () => {
    const test = join(ROOT, 'test/unit/core/some.test.ts');
    expect(resolveSpecifier(test, '../../../src/core/skew.js')).toBe(join(ROOT, 'src/core/skew.ts'));
    expect(resolveSpecifier(test, '../../../src/channels')).toBe(join(ROOT, 'src/channels/index.ts'));
    expect(resolveSpecifier(test, 'vitest')).toBeNull();
    expect(resolveSpecifier(test, 'node:fs')).toBeNull();
  });
});

describe('unit tests', () => {
  it('import every module of src/core and src/channels', () => {
    const guarded = GUARDED.flatMap(tsFilesUnder);
    // A wrong root or glob would find nothing and pass: src/core alone holds thirty-odd modules.
    expect(guarded.length).toBeGreaterThan(20);
    const imported = importedByUnitTests();
    const untested = guarded
      .filter((m) => !imported.has(m) && hasRuntimeCode(readFileSync(m, 'utf8')))
      .map((m) => relative(ROOT, m));
    expect(untested, 'modules that no file under test/unit imports').toEqual([]);
  });
});
