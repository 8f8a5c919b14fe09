// The architecture is enforced by the test suite: parts import each other only
// through package entries, in the direction lsp → compiler → runtime
// (test/helpers/import-graph.ts; DESIGN §2). A self-test on a synthetic tree
// shows that every rule fails on a violation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkImports, fixImports, formatViolations, type Violation } from '../helpers/import-graph';

test('this repository: no import crosses a part except through an exported entry, down the layers', () => {
  const r = checkImports();
  assert.ok(r.files > 100 && r.imports > 500, `the check saw the tree (${r.files} files, ${r.imports} imports)`);
  if (r.violations.length) assert.unreachable(`${r.violations.length} import(s) break the architecture (fix: node --import tsx test/helpers/import-graph.ts --fix):\n${formatViolations(r.violations)}`);
});

// ---- self-test on a synthetic repository ----

const root = mkdtempSync(join(tmpdir(), 'fms-import-graph-'));
const put = (rel: string, text: string): void => {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
};
const json = (v: unknown): string => JSON.stringify(v, null, 2);

put('package.json', json({ name: 'fms', private: true, workspaces: ['runtime', 'compiler', 'lsp'], devDependencies: { uvu: '0.5.6' } }));
put('runtime/package.json', json({ name: '@fms/runtime', exports: { '.': './src/index.ts', './format': './src/pack/index.ts', './cli-kit': './src/cli/kit.ts' }, dependencies: { re2js: '2.10.0' }, peerDependencies: { commander: '14.0.3' } }));
put('runtime/src/index.ts', "export { decide } from './decide';\n");
put('runtime/src/decide.ts', "import { RE2JS } from 're2js';\nimport { cmp } from './vm/hidden';\nexport function decide(): unknown { return [RE2JS, cmp]; }\n");
put('runtime/src/vm/hidden.ts', 'export const cmp = 1;\nexport const other = 2;\n');
put('runtime/src/pack/index.ts', "export * from './format';\nexport { writeBody } from './writer';\n");
put('runtime/src/pack/format.ts', 'export class PackError extends Error {}\nexport const OP = 1;\n');
put('runtime/src/pack/writer.ts', 'export function writeBody(): void {}\nexport function internalHelper(): void {}\n');
put('runtime/src/cli/kit.ts', "import { Command } from 'commander';\nexport const program = new Command();\n");
put('compiler/package.json', json({ name: '@fms/compiler', exports: { '.': './src/index.ts' }, dependencies: { '@fms/runtime': '0.1.0', chevrotain: '11.2.0' } }));
put('compiler/src/index.ts', "import { Lexer } from 'chevrotain';\nimport { PackError } from '@fms/runtime/format';\nexport function compile(): unknown { return [Lexer, PackError]; }\n");
put('test/runtime/white-box.test.ts', "import { cmp } from '../../runtime/src/vm/hidden';\nimport { compile } from '@fms/compiler';\nimport { test } from 'uvu';\nvoid [cmp, compile, test];\n");
put('test/helpers/shared.ts', "import { decide } from '@fms/runtime';\nexport const d = decide;\n");

/** Adds files, checks, removes them again; returns the violations. */
function withFiles(files: Record<string, string>, fn: (vs: Violation[]) => void): void {
  const saved = new Map<string, string | null>();
  for (const [rel, text] of Object.entries(files)) {
    let old: string | null = null;
    try {
      old = readFileSync(join(root, rel), 'utf8');
    } catch {
      /* new file */
    }
    saved.set(rel, old);
    put(rel, text);
  }
  try {
    fn(checkImports(root).violations);
  } finally {
    for (const [rel, old] of saved) {
      if (old === null) rmSync(join(root, rel));
      else writeFileSync(join(root, rel), old);
    }
  }
}

function only(vs: Violation[], rule: Violation['rule'], re: RegExp): Violation {
  assert.is(vs.length, 1, `exactly one violation expected, got:\n${formatViolations(vs)}`);
  const v = vs[0]!;
  assert.is(v.rule, rule, formatViolations(vs));
  assert.match(v.message, re);
  return v;
}

test('self-test: the synthetic tree is clean (white-box tests, entries, declared packages)', () => {
  assert.equal(checkImports(root).violations, []);
});

test('self-test: a relative import into another part fails, names the entry to use, and --fix rewrites it', () => {
  const rel = 'compiler/src/emit.ts';
  const text = "import { PackError, OP } from '../../runtime/src/pack/format';\nimport { writeBody } from '../../runtime/src/pack/writer';\nexport const x = [PackError, OP, writeBody];\n";
  put(rel, text);
  try {
    const vs = checkImports(root).violations;
    assert.is(vs.length, 2, formatViolations(vs));
    assert.ok(vs.every((v) => v.rule === 'relative-cross-part' && v.fix === '@fms/runtime/format'), formatViolations(vs));
    assert.match(vs[0]!.message, "use '@fms/runtime/format' instead");
    assert.is(fixImports(root, vs), 2);
    const fixed = readFileSync(join(root, rel), 'utf8');
    assert.is(fixed, text.replaceAll('../../runtime/src/pack/format', '@fms/runtime/format').replaceAll('../../runtime/src/pack/writer', '@fms/runtime/format'));
    assert.equal(checkImports(root).violations, []);
  } finally {
    rmSync(join(root, rel));
  }
});

test('self-test: a name the entry does not export is not "fixed" into a broken import', () => {
  withFiles({ 'compiler/src/emit.ts': "import { internalHelper } from '../../runtime/src/pack/writer';\nvoid internalHelper;\n" }, (vs) => {
    const v = only(vs, 'relative-cross-part', /'@fms\/runtime\/format' export part of runtime\/src\/pack\/writer\.ts but not every name imported here \(internalHelper\)/);
    assert.is(v.fix, undefined);
  });
  withFiles({ 'compiler/src/emit.ts': "import { cmp } from '../../runtime/src/vm/hidden';\nvoid cmp;\n" }, (vs) => {
    only(vs, 'relative-cross-part', /runtime\/src\/vm\/hidden\.ts is not exported by any entry of @fms\/runtime; export it on purpose/);
  });
});

test('self-test: the runtime never imports the compiler, by package or by path', () => {
  withFiles({ 'runtime/src/x.ts': "import { compile } from '@fms/compiler';\nvoid compile;\n" }, (vs) => {
    only(vs, 'direction', /@fms\/runtime must not import @fms\/compiler \(direction: vscode-extension → lsp → compiler → signers → runtime\)/);
  });
  withFiles({ 'runtime/src/x.ts': "import type { X } from '../../compiler/src/index';\nexport type Y = X;\n" }, (vs) => {
    only(vs, 'relative-cross-part', /must not depend on @fms\/compiler at all/);
  });
});

test('self-test: only exported entries, whatever the import form', () => {
  const forms = [
    "export { PackError } from '@fms/runtime/src/pack/format';\n",
    "export const m = import('@fms/runtime/src/pack/format');\n",
    "export type T = typeof import('@fms/runtime/src/pack/format');\n",
    "import x = require('@fms/runtime/src/pack/format');\nexport { x };\n",
    "import '@fms/runtime/constructor';\n",
    "import '@fms/runtime/__proto__';\n",
    "import '@fms/runtime/toString';\n",
  ];
  for (const f of forms) withFiles({ 'compiler/src/x.ts': f }, (vs) => void only(vs, 'not-an-entry', /is not an entry of @fms\/runtime; its entries are '@fms\/runtime', '@fms\/runtime\/format', '@fms\/runtime\/cli-kit'/));
  for (const f of ["export const m = import('../../runtime/src/vm/hidden');\n", "export type T = typeof import('../../runtime/src/vm/hidden');\n", "const m = require('../../runtime/src/vm/hidden');\nexport { m };\n"]) {
    withFiles({ 'compiler/src/x.ts': f }, (vs) => void only(vs, 'relative-cross-part', /not exported by any entry/));
  }
});

test('self-test: a part does not import itself by package name, nor an unknown @fms package', () => {
  withFiles({ 'runtime/src/x.ts': "import { decide } from '@fms/runtime';\nvoid decide;\n" }, (vs) => void only(vs, 'self-import', /inside a part, import its own modules by relative path/));
  withFiles({ 'compiler/src/x.ts': "import '@fms/lsp';\n" }, (vs) => void only(vs, 'unknown-package', /names no workspace package/));
});

test('self-test: every bare import is declared by the package that makes it', () => {
  withFiles({ 'compiler/src/x.ts': "import 'lodash';\n" }, (vs) => void only(vs, 'undeclared-package', /compiler\/src\/x\.ts imports 'lodash', which compiler\/package\.json does not declare/));
  withFiles({ 'compiler/src/x.ts': "import 'toString';\nimport 'constructor/x';\n" }, (vs) => assert.is(vs.filter((v) => v.rule === 'undeclared-package').length, 2, formatViolations(vs)));
  withFiles({ 'test/helpers/x.ts': "import 'chevrotain';\n" }, (vs) => void only(vs, 'undeclared-package', /the root package\.json does not declare/));
  withFiles({ 'compiler/src/x.ts': "import { readFileSync } from 'node:fs';\nimport { join } from 'path';\nvoid [readFileSync, join];\n" }, (vs) => assert.equal(vs, []));
});

test('self-test: the main entry loads only "dependencies" (a peer such as commander stays in its own entry)', () => {
  withFiles({ 'runtime/src/decide.ts': "import { Command } from 'commander';\nexport function decide(): unknown { return Command; }\n" }, (vs) => {
    only(vs, 'entry-dependency', /'@fms\/runtime' loads runtime\/src\/decide\.ts, which imports 'commander'; the main entry may use only "dependencies" \(re2js\)/);
  });
  // the same module reached from the main entry through a chain of relative imports
  withFiles({ 'runtime/src/vm/hidden.ts': "import { Command } from 'commander';\nexport const cmp = Command;\n" }, (vs) => {
    only(vs, 'entry-dependency', /loads runtime\/src\/vm\/hidden\.ts/);
  });
});

test('self-test: tests are white-box for their own part only; shared test folders use entries', () => {
  withFiles({ 'test/runtime/x.test.ts': "import { compile } from '../../compiler/src/index';\nvoid compile;\n" }, (vs) => {
    const v = only(vs, 'relative-cross-part', /leaves test\/runtime\/ \(or test\/, runtime\/\): use '@fms\/compiler' instead/);
    assert.is(v.fix, '@fms/compiler');
  });
  withFiles({ 'test/helpers/x.ts': "import { cmp } from '../../runtime/src/vm/hidden';\nvoid cmp;\n" }, (vs) => void only(vs, 'relative-cross-part', /leaves test\/:/));
  withFiles({ 'compiler/src/x.ts': "import { d } from '../../test/helpers/shared';\nvoid d;\n" }, (vs) => void only(vs, 'relative-cross-part', /leaves compiler\//));
});

test('self-test: a pattern export or an unknown workspace is refused', () => {
  const pj = readFileSync(join(root, 'runtime/package.json'), 'utf8');
  try {
    const j = JSON.parse(pj) as { exports: Record<string, string> };
    j.exports['./internal/*'] = './src/*.ts';
    writeFileSync(join(root, 'runtime/package.json'), json(j));
    only(checkImports(root).violations, 'manifest', /export '\.\/internal\/\*' must be one explicit file/);
  } finally {
    writeFileSync(join(root, 'runtime/package.json'), pj);
  }
  withFiles({ 'package.json': json({ name: 'fms', private: true, workspaces: ['runtime', 'compiler', 'tools'] }), 'tools/package.json': json({ name: '@fms/tools' }) }, (vs) => {
    assert.ok(vs.some((v) => v.rule === 'manifest' && /workspace 'tools' is not a known part/.test(v.message)), formatViolations(vs));
  });
});

test('self-test: a part with code but no package.json is refused (its imports could not be checked)', () => {
  withFiles({ 'lsp/src/server.ts': "import { compile } from '@fms/compiler';\nvoid compile;\n" }, (vs) => {
    only(vs, 'manifest', /lsp\/ has code but is not a workspace package/);
  });
});

test('self-test: a symlink loop in the tree is not followed', () => {
  symlinkSync('..', join(root, 'test/loop'));
  try {
    assert.equal(checkImports(root).violations, []);
  } finally {
    rmSync(join(root, 'test/loop'));
  }
});

test('self-test: the runtime may load @fms/signers only with a dynamic import, as an optional peer (OPTIONAL_UPWARD)', () => {
  const runtimePkg = (meta: boolean): string =>
    json({
      name: '@fms/runtime',
      exports: { '.': './src/index.ts', './format': './src/pack/index.ts', './cli-kit': './src/cli/kit.ts' },
      dependencies: { re2js: '2.10.0' },
      peerDependencies: { commander: '14.0.3', '@fms/signers': '0.1.0' },
      ...(meta ? { peerDependenciesMeta: { '@fms/signers': { optional: true } } } : {}),
    });
  const base = {
    'package.json': json({ name: 'fms', private: true, workspaces: ['runtime', 'signers', 'compiler', 'lsp'], devDependencies: { uvu: '0.5.6' } }),
    'signers/package.json': json({ name: '@fms/signers', exports: { '.': './src/index.ts' }, dependencies: { '@fms/runtime': '0.1.0' }, optionalDependencies: { 'native-addon': '1.0.0' } }),
    'signers/src/index.ts': "export const openSigner = (): Promise<unknown> => import('./native');\n",
    'signers/src/native.ts': "export const m = (): Promise<unknown> => import('native-addon');\n",
  };
  const dynamicUse = "export const load = (): Promise<unknown> => import('@fms/signers');\n";
  // allowed: dynamic, optional peer, even from a module the main entry loads
  withFiles({ ...base, 'runtime/package.json': runtimePkg(true), 'runtime/src/daemon-signer.ts': dynamicUse, 'runtime/src/index.ts': "export { decide } from './decide';\nexport { load } from './daemon-signer';\n" }, (vs) => assert.equal(vs, [], formatViolations(vs)));
  // a static import (value or type) is a direction violation
  for (const text of ["import { openSigner } from '@fms/signers';\nvoid openSigner;\n", "export { openSigner } from '@fms/signers';\n"]) {
    withFiles({ ...base, 'runtime/package.json': runtimePkg(true), 'runtime/src/x.ts': text }, (vs) => {
      only(vs, 'direction', /@fms\/runtime may load @fms\/signers only with a dynamic import\('@fms\/signers'\) and only as an optional peer dependency/);
    });
  }
  // a dynamic import without the optional marker is not enough
  withFiles({ ...base, 'runtime/package.json': runtimePkg(false), 'runtime/src/x.ts': dynamicUse }, (vs) => void only(vs, 'direction', /only as an optional peer dependency/));
  // the exception is exactly one edge: the runtime may not load the compiler that way
  withFiles({ ...base, 'runtime/package.json': runtimePkg(true), 'runtime/src/x.ts': "export const c = (): Promise<unknown> => import('@fms/compiler');\n" }, (vs) => void only(vs, 'direction', /must not import @fms\/compiler/));
  // an optional dependency: dynamic from the main entry is fine, static is not
  withFiles({ ...base, 'runtime/package.json': runtimePkg(true), 'signers/src/native.ts': "import 'native-addon';\nexport const m = 1;\n" }, (vs) => {
    only(vs, 'entry-dependency', /'@fms\/signers' loads signers\/src\/native\.ts, which imports 'native-addon'/);
  });
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
