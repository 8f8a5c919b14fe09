/**
 * The architecture check (DESIGN §2, STYLE habit 11): parts are npm workspace
 * packages and import each other only through a package name and an entry
 * their `package.json` exports, in the direction `lsp → compiler → signers → runtime`
 * (the one exception, {@link OPTIONAL_UPWARD}: the runtime's dynamic, optional load of `@fms/signers`).
 *
 * Rules, checked over every import (static, `export … from`, `import type`,
 * dynamic `import('…')`, `require('…')`, `typeof import('…')`) of every
 * script under the parts and `test/`:
 *
 * 1. A relative import never leaves its part's folder. A part's folder is
 *    `<part>/`; the tests of a part, `test/<part>/`, may also reach into
 *    `<part>/` (white-box tests) and into `test/`; other test folders
 *    (`test/helpers/`, `test/bench/`, …) only into `test/`.
 * 2. `@fms/<pkg>[/entry]` names an entry in that package's `exports`, is not
 *    the importer's own package, and points down the layers (`LAYERS`); tests
 *    may import every entry.
 * 3. Any other bare import is a Node built-in or a package that the
 *    importer's `package.json` declares (the root one for `test/`; a part's
 *    build scripts outside `src/` may also use the root's dev tools).
 * 4. What an entry pulls in (its relative-import closure) uses only the
 *    package's `dependencies` and peers; the main entry `.` only its
 *    `dependencies` (the runtime library never loads commander or chevrotain),
 *    and its `optionalDependencies` and optional peers through a dynamic
 *    `import()` only.
 *
 * Run `node --import tsx test/helpers/import-graph.ts [--fix] [ROOT]`: prints
 * one line per violation with the fix to make; `--fix` rewrites a relative
 * cross-part import to the package entry that exports every name it imports.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The parts, lowest first: a part may import only parts before it. */
export const LAYERS = ['runtime', 'signers', 'compiler', 'lsp', 'vscode-extension'] as const;

/**
 * The one sanctioned upward edge: `importer>imported`. The runtime may load
 * `@fms/signers` (PKCS#11 and cloud KMS log-checkpoint keys) only with a
 * dynamic `import()` and only as an OPTIONAL peer dependency, so the
 * embeddable runtime never loads it, nor any SDK, unless such a key is used.
 */
export const OPTIONAL_UPWARD = new Set(['@fms/runtime>@fms/signers']);

const SCRIPT_EXT = /\.(?:[cm]?ts|tsx|[cm]?js)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git']);
const RESOLVE_EXT = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.d.ts'];

export interface Violation {
  /** Path relative to the root, `/`-separated. */
  file: string;
  line: number;
  specifier: string;
  rule: 'relative-cross-part' | 'not-an-entry' | 'direction' | 'self-import' | 'undeclared-package' | 'entry-dependency' | 'unknown-package' | 'manifest';
  message: string;
  /** The specifier to use instead, when one entry exports every imported name. */
  fix?: string;
}

interface Pkg {
  name: string;
  dir: string; // absolute
  layer: number;
  /** subpath ('.', './format') → absolute target file */
  entries: Map<string, string>;
  deps: Set<string>;
  peers: Set<string>;
  /** Peers marked optional in `peerDependenciesMeta`. */
  optionalPeers: Set<string>;
  /** `optionalDependencies` (an entry may load them with a dynamic import). */
  optionalDeps: Set<string>;
  dev: Set<string>;
}

interface ImportRef {
  specifier: string;
  line: number;
  start: number; // offsets of the string literal's text (without quotes)
  end: number;
  /** Imported names; null = the whole module (namespace, side effect, dynamic, export *). */
  names: string[] | null;
  /** A dynamic `import('…')` (loaded on demand, not when the importer loads). */
  dynamic?: boolean;
}

type Area = { kind: 'part'; part: string } | { kind: 'test'; of: string | null } | { kind: 'other' };

const BUILTINS = new Set(builtinModules);

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

function keysOf(v: unknown): Set<string> {
  return new Set(v && typeof v === 'object' ? Object.keys(v) : []);
}

function exportTarget(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of ['import', 'default', 'node']) if (Object.hasOwn(o, k)) return exportTarget(o[k]);
  }
  return null;
}

function optionalPeersOf(j: Record<string, unknown>): Set<string> {
  const meta = j.peerDependenciesMeta;
  const out = new Set<string>();
  if (!meta || typeof meta !== 'object') return out;
  for (const name of keysOf(j.peerDependencies)) {
    const m = Object.hasOwn(meta, name) ? (meta as Record<string, unknown>)[name] : undefined;
    if (m && typeof m === 'object' && (m as { optional?: unknown }).optional === true) out.add(name);
  }
  return out;
}

function toPosix(p: string): string {
  return p.split(sep).join('/');
}

function inside(path: string, dir: string): boolean {
  const r = relative(dir, path);
  return r === '' || (!r.startsWith('..') && !r.startsWith(sep) && !/^[a-zA-Z]:/.test(r));
}

/** The bare package name of a specifier (`@scope/name` or `name`). */
export function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function loadPackages(root: string): { pkgs: Map<string, Pkg>; rootPkg: Pkg; problems: string[] } {
  const rootJson = readJson(join(root, 'package.json'));
  const problems: string[] = [];
  const pkgs = new Map<string, Pkg>();
  const ws = Array.isArray(rootJson.workspaces) ? (rootJson.workspaces as unknown[]).filter((w): w is string => typeof w === 'string') : [];
  for (const w of ws) {
    const dir = resolve(root, w);
    const pj = join(dir, 'package.json');
    if (!existsSync(pj)) continue; // a part that has not arrived yet (lsp/, vscode-extension/)
    const layer = (LAYERS as readonly string[]).indexOf(toPosix(relative(root, dir)));
    const j = readJson(pj);
    const name = typeof j.name === 'string' ? j.name : w;
    if (layer < 0) problems.push(`workspace '${w}' is not a known part: add it to LAYERS in test/helpers/import-graph.ts (lowest first)`);
    const entries = new Map<string, string>();
    const ex = j.exports;
    if (typeof ex === 'string') entries.set('.', resolve(dir, ex));
    else if (ex && typeof ex === 'object') {
      for (const [k, v] of Object.entries(ex)) {
        const t = exportTarget(v);
        if (t && !k.includes('*')) entries.set(k, resolve(dir, t));
        else problems.push(`${name}: export '${k}' must be one explicit file (no patterns), so that every entry is public on purpose`);
      }
    }
    pkgs.set(name, { name, dir, layer, entries, deps: keysOf(j.dependencies), peers: new Set([...keysOf(j.peerDependencies), ...keysOf(j.optionalDependencies)]), optionalPeers: optionalPeersOf(j), optionalDeps: keysOf(j.optionalDependencies), dev: keysOf(j.devDependencies) });
  }
  const rootPkg: Pkg = { name: typeof rootJson.name === 'string' ? rootJson.name : 'root', dir: root, layer: LAYERS.length, entries: new Map(), deps: keysOf(rootJson.dependencies), peers: keysOf(rootJson.optionalDependencies), optionalPeers: new Set(), optionalDeps: keysOf(rootJson.optionalDependencies), dev: keysOf(rootJson.devDependencies) };
  return { pkgs, rootPkg, problems };
}

function walk(dir: string, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names.sort()) {
    if (SKIP_DIRS.has(n)) continue;
    const p = join(dir, n);
    const st = lstatSync(p); // a symlink is not followed: no loops, no files from elsewhere
    if (st.isDirectory()) walk(p, out);
    else if (SCRIPT_EXT.test(n)) out.push(p);
  }
}

/** Every import of a file, with the names it takes. */
export function importsOf(file: string, text: string): ImportRef[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : undefined);
  const out: ImportRef[] = [];
  const add = (lit: ts.Node, names: string[] | null, dynamic = false): void => {
    if (!ts.isStringLiteralLike(lit)) return;
    const start = lit.getStart(sf) + 1;
    out.push({ specifier: lit.text, line: sf.getLineAndCharacterOfPosition(start).line + 1, start, end: start + lit.text.length, names, ...(dynamic ? { dynamic } : {}) });
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n)) {
      const c = n.importClause;
      let names: string[] | null = [];
      if (!c) names = null;
      else {
        if (c.name) names.push('default');
        const b = c.namedBindings;
        if (b && ts.isNamespaceImport(b)) names = null;
        else if (b) for (const e of b.elements) names.push((e.propertyName ?? e.name).text);
      }
      add(n.moduleSpecifier, names);
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier) {
      const c = n.exportClause;
      add(n.moduleSpecifier, c && ts.isNamedExports(c) ? c.elements.map((e) => (e.propertyName ?? e.name).text) : null);
    } else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference)) {
      add(n.moduleReference.expression, null);
    } else if (ts.isCallExpression(n) && n.arguments.length >= 1 && (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(n.expression) && n.expression.text === 'require'))) {
      add(n.arguments[0]!, null, n.expression.kind === ts.SyntaxKind.ImportKeyword);
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) {
      add(n.argument.literal, null);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function resolveFile(base: string): string | null {
  const candidates = [base, ...RESOLVE_EXT.map((e) => base + e), ...RESOLVE_EXT.map((e) => join(base, 'index' + e))];
  // `./x.js` written for `./x.ts` (NodeNext style)
  const m = /\.[cm]?js$/.exec(base);
  if (m) candidates.push(base.slice(0, -m[0].length) + '.ts');
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) return c;
    } catch {
      /* next */
    }
  }
  return null;
}

/**
 * Which names each entry re-exports from which module: module → names ('*' =
 * all), following `export … from` chains through the entry's modules.
 */
function entryExports(entry: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const note = (mod: string, name: string): boolean => {
    let s = out.get(mod);
    if (!s) out.set(mod, (s = new Set()));
    if (s.has(name)) return false;
    s.add(name);
    return true;
  };
  const follow = (mod: string, names: string[] | null): void => {
    let text: string;
    try {
      text = readFileSync(mod, 'utf8');
    } catch {
      return;
    }
    const sf = ts.createSourceFile(mod, text, ts.ScriptTarget.Latest, true);
    for (const st of sf.statements) {
      if (!ts.isExportDeclaration(st) || !st.moduleSpecifier || !ts.isStringLiteralLike(st.moduleSpecifier)) continue;
      const spec = st.moduleSpecifier.text;
      if (!spec.startsWith('.')) continue;
      const target = resolveFile(resolve(dirname(mod), spec));
      if (!target) continue;
      const c = st.exportClause;
      if (!c) {
        // export * from: everything, or the asked names that the target may own
        const ask = names ?? ['*'];
        const fresh = ask.filter((n) => note(target, n));
        if (fresh.length) follow(target, names);
      } else if (ts.isNamedExports(c)) {
        const taken: string[] = [];
        for (const e of c.elements) {
          const exported = e.name.text;
          const origin = (e.propertyName ?? e.name).text;
          if (origin !== exported) continue; // renamed: a fixer cannot keep the local name
          if (names && !names.includes(exported) && !names.includes('*')) continue;
          if (note(target, origin)) taken.push(origin);
        }
        if (taken.length) follow(target, taken);
      }
    }
  };
  note(entry, '*');
  follow(entry, null);
  return out;
}

function covers(exported: Set<string> | undefined, names: string[] | null): boolean {
  if (!exported) return false;
  if (exported.has('*')) return true;
  return names !== null && names.length > 0 && names.every((n) => exported.has(n));
}

export interface CheckResult {
  violations: Violation[];
  /** Number of files and imports looked at (a test asserts the check saw the tree). */
  files: number;
  imports: number;
}

/** Checks the tree under `root` (default: this repository). */
export function checkImports(root: string = resolve(dirname(fileURLToPath(import.meta.url)), '../..')): CheckResult {
  const { pkgs, rootPkg, problems } = loadPackages(root);
  const violations: Violation[] = problems.map((message) => ({ file: 'package.json', line: 1, specifier: '', rule: 'manifest', message }));
  const byDir = new Map<string, Pkg>();
  for (const p of pkgs.values()) byDir.set(toPosix(relative(root, p.dir)), p);
  const exportsOf = new Map<string, Map<string, Map<string, Set<string>>>>(); // pkg → entry → module → names
  for (const p of pkgs.values()) {
    const m = new Map<string, Map<string, Set<string>>>();
    for (const [sub, file] of p.entries) m.set(sub, entryExports(file));
    exportsOf.set(p.name, m);
  }

  const areaOf = (abs: string): Area => {
    const r = toPosix(relative(root, abs)).split('/');
    if (r[0] === 'test') return { kind: 'test', of: r.length > 2 && (LAYERS as readonly string[]).includes(r[1]!) ? r[1]! : null };
    if ((LAYERS as readonly string[]).includes(r[0]!)) return { kind: 'part', part: r[0]! };
    return { kind: 'other' };
  };
  const pkgOfPart = (part: string): Pkg | undefined => byDir.get(part);

  const files: string[] = [];
  for (const top of [...LAYERS, 'test']) walk(join(root, top), files);
  let nImports = 0;
  const closureCache = new Map<string, string[]>();
  const fileImports = new Map<string, ImportRef[]>();
  const importsOfFile = (f: string): ImportRef[] => {
    let r = fileImports.get(f);
    if (!r) fileImports.set(f, (r = importsOf(f, readFileSync(f, 'utf8'))));
    return r;
  };

  const unpackaged = new Set<string>();
  for (const file of files) {
    const area = areaOf(file);
    const rel = toPosix(relative(root, file));
    if (area.kind === 'part' && !pkgOfPart(area.part) && !unpackaged.has(area.part)) {
      unpackaged.add(area.part);
      violations.push({ file: rel, line: 1, specifier: '', rule: 'manifest', message: `${area.part}/ has code but is not a workspace package: give it a package.json (name, "exports", dependencies) and list it in the root "workspaces"` });
    }
    const owner = area.kind === 'part' ? pkgOfPart(area.part) : rootPkg;
    for (const imp of importsOfFile(file)) {
      nImports++;
      const spec = imp.specifier;
      const v = (rule: Violation['rule'], message: string, fix?: string): void => {
        const x: Violation = { file: rel, line: imp.line, specifier: spec, rule, message };
        if (fix) x.fix = fix;
        violations.push(x);
      };
      if (spec.startsWith('.') || spec.startsWith('/')) {
        const target = resolve(dirname(file), spec);
        const allowed: string[] = [];
        if (area.kind === 'part') allowed.push(join(root, area.part));
        if (area.kind === 'test') {
          allowed.push(join(root, 'test'));
          if (area.of) allowed.push(join(root, area.of));
        }
        if (area.kind === 'other' || allowed.some((d) => inside(target, d))) continue;
        const tArea = areaOf(target);
        const tPart = tArea.kind === 'part' ? tArea.part : null;
        const tPkg = tPart ? pkgOfPart(tPart) : undefined;
        const where = area.kind === 'part' ? `${area.part}/` : area.of ? `test/${area.of}/ (or test/, ${area.of}/)` : 'test/';
        if (!tPkg) {
          v('relative-cross-part', `relative import '${spec}' leaves ${where}: move the shared code into a part and import it through that part's package entry`);
          continue;
        }
        const resolved = resolveFile(target);
        let fix: string | undefined;
        const offering: string[] = [];
        if (resolved) {
          for (const [sub, mods] of exportsOf.get(tPkg.name) ?? []) {
            const names = mods.get(resolved);
            if (!names) continue;
            const specName = sub === '.' ? tPkg.name : `${tPkg.name}/${sub.slice(2)}`;
            offering.push(specName);
            if (!fix && covers(names, imp.names)) fix = specName;
          }
        }
        const modRel = toPosix(relative(root, resolved ?? target));
        let msg = `relative import '${spec}' leaves ${where}`;
        if (fix) msg += `: use '${fix}' instead`;
        else if (offering.length) msg += `: ${offering.map((o) => `'${o}'`).join(', ')} export part of ${modRel} but not every name imported here (${(imp.names ?? ['*']).join(', ')}); export them on purpose or import what is public`;
        else msg += `: ${modRel} is not exported by any entry of ${tPkg.name}; export it on purpose (an entry in ${toPosix(relative(root, tPkg.dir))}/package.json "exports") or move it where it belongs`;
        if (area.kind === 'part') {
          const mine = pkgOfPart(area.part);
          if (mine && tPkg.layer >= mine.layer) msg += ` — and ${mine.name} must not depend on ${tPkg.name} at all (direction: ${[...LAYERS].reverse().join(' → ')})`;
        }
        v('relative-cross-part', msg, fix);
        continue;
      }
      if (spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0]!)) continue;
      const name = packageName(spec);
      const target = pkgs.get(name);
      if (target) {
        const sub = spec === name ? '.' : `./${spec.slice(name.length + 1)}`;
        if (area.kind === 'part') {
          const mine = pkgOfPart(area.part);
          if (mine && mine.name === name) {
            v('self-import', `'${spec}' is ${name} itself: inside a part, import its own modules by relative path`);
            continue;
          }
          if (mine && target.layer >= mine.layer && OPTIONAL_UPWARD.has(`${mine.name}>${name}`)) {
            const optionalPeer = mine.optionalPeers.has(name) && !mine.deps.has(name);
            if (imp.dynamic && optionalPeer) {
              if (!target.entries.has(sub)) v('not-an-entry', `'${spec}' is not an entry of ${name}`);
              continue;
            }
            v('direction', `${mine.name} may load ${name} only with a dynamic import('${name}') and only as an optional peer dependency (peerDependenciesMeta optional), never statically`);
            continue;
          }
          if (mine && target.layer >= mine.layer) {
            v('direction', `${mine.name} must not import ${name} (direction: ${[...LAYERS].reverse().join(' → ')}); move what both need down into ${mine.name} or below`);
            continue;
          }
          if (mine && !mine.deps.has(name) && !mine.peers.has(name)) v('undeclared-package', `${rel} imports ${name}, which ${toPosix(relative(root, mine.dir))}/package.json does not list in "dependencies"`);
        }
        if (!target.entries.has(sub)) {
          v('not-an-entry', `'${spec}' is not an entry of ${name}; its entries are ${[...target.entries.keys()].map((k) => (k === '.' ? name : `${name}/${k.slice(2)}`)).map((k) => `'${k}'`).join(', ')}`);
        }
        continue;
      }
      if (/^@fms\//.test(spec)) {
        v('unknown-package', `'${spec}' names no workspace package (known: ${[...pkgs.keys()].join(', ')})`);
        continue;
      }
      const declaredBy = owner ?? rootPkg;
      const okHere = declaredBy.deps.has(name) || declaredBy.peers.has(name) || declaredBy.dev.has(name);
      const buildScript = area.kind === 'part' && !rel.startsWith(`${area.part}/src/`);
      if (!okHere && !(buildScript && (rootPkg.dev.has(name) || rootPkg.deps.has(name)))) {
        v('undeclared-package', `${rel} imports '${name}', which ${declaredBy === rootPkg ? 'the root package.json' : `${toPosix(relative(root, declaredBy.dir))}/package.json`} does not declare`);
      }
    }
  }

  // Rule 4: what each entry pulls in.
  const closure = (entry: string): string[] => {
    const hit = closureCache.get(entry);
    if (hit) return hit;
    const seen = new Set<string>([entry]);
    const stack = [entry];
    while (stack.length) {
      const f = stack.pop()!;
      for (const imp of importsOfFile(f)) {
        if (!imp.specifier.startsWith('.')) continue;
        const t = resolveFile(resolve(dirname(f), imp.specifier));
        if (t && !seen.has(t)) {
          seen.add(t);
          stack.push(t);
        }
      }
    }
    const list = [...seen];
    closureCache.set(entry, list);
    return list;
  };
  for (const p of pkgs.values()) {
    for (const [sub, entry] of p.entries) {
      if (!SCRIPT_EXT.test(entry)) continue;
      const allowed = new Set([...p.deps, ...(sub === '.' ? [] : p.peers)]);
      for (const f of closure(entry)) {
        for (const imp of importsOfFile(f)) {
          const s = imp.specifier;
          if (s.startsWith('.') || s.startsWith('/') || s.startsWith('node:') || BUILTINS.has(s) || BUILTINS.has(s.split('/')[0]!)) continue;
          const n = packageName(s);
          if (allowed.has(n)) continue;
          // An optional dependency or optional peer (pkcs11js, @fms/signers) loaded on demand, never when the entry loads.
          if (imp.dynamic && (p.optionalDeps.has(n) || p.optionalPeers.has(n))) continue;
          const entryName = sub === '.' ? p.name : `${p.name}/${sub.slice(2)}`;
          violations.push({
            file: toPosix(relative(root, f)),
            line: imp.line,
            specifier: s,
            rule: 'entry-dependency',
            message: `'${entryName}' loads ${toPosix(relative(root, f))}, which imports '${n}'; ${sub === '.' ? `the main entry may use only "dependencies" (${[...p.deps].join(', ') || 'none'})` : `an entry may use only "dependencies" and peers`}: keep that module out of the entry's import graph`,
          });
        }
      }
    }
  }
  return { violations, files: files.length, imports: nImports };
}

/** Rewrites every violation that has a `fix`; returns how many imports changed. */
export function fixImports(root: string, violations: Violation[]): number {
  const byFile = new Map<string, Violation[]>();
  for (const v of violations) if (v.fix) (byFile.get(v.file) ?? byFile.set(v.file, []).get(v.file)!).push(v);
  let n = 0;
  for (const [rel, vs] of byFile) {
    const abs = join(root, rel);
    let text = readFileSync(abs, 'utf8');
    const refs = importsOf(abs, text).sort((a, b) => b.start - a.start);
    for (const r of refs) {
      const v = vs.find((x) => x.line === r.line && x.specifier === r.specifier);
      if (!v || !v.fix) continue;
      text = text.slice(0, r.start) + v.fix + text.slice(r.end);
      n++;
    }
    writeFileSync(abs, text);
  }
  return n;
}

/** One line per violation, `file:line: message`. */
export function formatViolations(vs: Violation[]): string {
  return vs.map((v) => `${v.file}:${v.line}: ${v.message}`).join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const fix = args.includes('--fix');
  const root = resolve(args.find((a) => !a.startsWith('--')) ?? resolve(dirname(fileURLToPath(import.meta.url)), '../..'));
  let r = checkImports(root);
  if (fix) {
    const n = fixImports(root, r.violations);
    process.stdout.write(`rewrote ${n} import(s)\n`);
    r = checkImports(root);
  }
  if (r.violations.length) {
    process.stdout.write(formatViolations(r.violations) + '\n');
    process.stdout.write(`${r.violations.length} import(s) break the architecture (${r.files} files checked)\n`);
    process.exitCode = 1;
  } else process.stdout.write(`imports ok: ${r.files} files, ${r.imports} imports\n`);
}
