// Packs @fms/runtime for npm: `npm run package -w @fms/runtime [-- --out DIR]`
// (or `node runtime/scripts/pack.mjs [--out DIR]`), default DIR = dist/ at the
// repository root. Prints the tarball's path.
//
// The workspace's package.json points its entries at TypeScript sources (what
// tsx, tsc and esbuild read inside the repository). Node 20 cannot run those,
// so this script stages the publishable package in runtime/dist/package/:
//   lib/*.js        every entry of "exports", bundled with esbuild (ESM, code
//                   splitting, so '@fms/runtime' and '@fms/runtime/format'
//                   share one copy of each module and `instanceof` works
//                   across entries); dependencies and peers stay external
//   lib/fms-run.js  the fms-run CLI, commander bundled in (so an install
//                   needs no CLI library)
//   lib/types/      declarations (tsc), so TypeScript hosts get the API
//   package.json    derived from runtime/package.json: same name, version,
//                   dependencies and peers; entries mapped to lib/; a bin
// and runs `npm pack` there. A plain `npm pack` of runtime/ is refused by the
// prepack hook (`--refuse-source-pack`), because it would ship sources that
// cannot run.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = resolve(here, '..');
const repo = resolve(pkgDir, '..');
const args = process.argv.slice(2);

if (args.includes('--refuse-source-pack')) {
  process.stderr.write('@fms/runtime: refusing to pack TypeScript sources that Node 20 cannot run; use `npm run package -w @fms/runtime` (builds JavaScript into a staged package and packs that)\n');
  process.exit(1);
}
const outIdx = args.indexOf('--out');
const outDir = resolve(outIdx >= 0 && args[outIdx + 1] ? args[outIdx + 1] : join(repo, 'dist'));

const src = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const stage = join(pkgDir, 'dist', 'package');
rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'lib'), { recursive: true });

const external = [...Object.keys(src.dependencies ?? {}), ...Object.keys(src.peerDependencies ?? {})];
const entryPoints = {};
const exportsOut = {};
for (const [sub, target] of Object.entries(src.exports)) {
  if (sub === './package.json') {
    exportsOut[sub] = './package.json';
    continue;
  }
  if (typeof target !== 'string' || !target.endsWith('.ts')) throw new Error(`runtime/package.json: export '${sub}' must name one .ts file`);
  const name = sub === '.' ? 'index' : sub.slice(2);
  entryPoints[name] = join(pkgDir, target);
  const dts = './lib/types/' + target.replace(/^\.\/src\//, '').replace(/\.ts$/, '.d.ts');
  exportsOut[sub] = { types: dts, default: `./lib/${name}.js` };
}

// INVARIANT: no sourcemaps, no absolute paths: the tarball does not depend on where it was built.
await build({
  entryPoints,
  outdir: join(stage, 'lib'),
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  legalComments: 'none',
  logLevel: 'warning',
});

const bin = join(stage, 'lib', 'fms-run.js');
await build({
  entryPoints: [join(pkgDir, 'src', 'cli', 'fms-run.ts')],
  outfile: bin,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // commander is CommonJS: the ESM bundle needs `require` for its node: imports.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __fmsCreateRequire } from 'node:module';\nconst require = __fmsCreateRequire(import.meta.url);" },
  // @fms/signers (PKCS#11 and cloud KMS log keys) is an optional peer the CLI imports dynamically: never bundled.
  external: [...Object.keys(src.dependencies ?? {}), '@fms/signers'],
  legalComments: 'none',
  logLevel: 'warning',
});
chmodSync(bin, 0o755);

// Declarations for the exported entries only (and what they reference).
const require = createRequire(import.meta.url);
const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
const tsconfig = join(pkgDir, 'dist', 'tsconfig.types.json');
writeFileSync(
  tsconfig,
  JSON.stringify({
    extends: join(repo, 'tsconfig.json'),
    compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true, rootDir: join(pkgDir, 'src'), outDir: join(stage, 'lib', 'types'), noUnusedLocals: false },
    files: Object.values(entryPoints),
    include: [],
  }),
);
execFileSync(process.execPath, [tsc, '-p', tsconfig], { stdio: 'inherit' });
rmSync(tsconfig);
// The sources use bundler resolution (extensionless relative imports); a
// consumer on `moduleResolution: node16/nodenext` needs `./x.js` (→ x.d.ts).
const typesDir = join(stage, 'lib', 'types');
const fixDts = (dir) => {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) fixDts(p);
    else if (n.endsWith('.d.ts')) {
      const text = readFileSync(p, 'utf8').replace(/(\bfrom\s+|\bimport\(\s*)(['"])(\.{1,2}\/[^'"]*)\2/g, (m, lead, q, spec) => {
        const base = resolve(dirname(p), spec);
        if (existsSync(base + '.d.ts')) return `${lead}${q}${spec}.js${q}`;
        if (existsSync(join(base, 'index.d.ts'))) return `${lead}${q}${spec}/index.js${q}`;
        throw new Error(`${p}: cannot resolve '${spec}' to a declaration file`);
      });
      writeFileSync(p, text);
    }
  }
};
fixDts(typesDir);

const manifest = {
  name: src.name,
  version: src.version,
  description: src.description,
  license: src.license,
  type: 'module',
  engines: src.engines,
  exports: exportsOut,
  types: './lib/types/index.d.ts',
  bin: { 'fms-run': './lib/fms-run.js' },
  dependencies: src.dependencies ?? {},
  ...(src.peerDependencies ? { peerDependencies: src.peerDependencies } : {}),
  ...(src.peerDependenciesMeta ? { peerDependenciesMeta: src.peerDependenciesMeta } : {}),
};
writeFileSync(join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
for (const f of ['README.md', 'LICENSE']) if (existsSync(join(pkgDir, f))) copyFileSync(join(pkgDir, f), join(stage, f));

mkdirSync(outDir, { recursive: true });
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const out = execFileSync(npm, ['pack', '--json', '--pack-destination', outDir], { cwd: stage, encoding: 'utf8', env: { ...process.env, npm_config_ignore_scripts: 'true' } });
const [info] = JSON.parse(out);
process.stdout.write(join(outDir, info.filename) + '\n');
