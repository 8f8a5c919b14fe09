// Bundles the two CLIs and the language server into dist/ with esbuild (Node 20).
//
// `fmsc` and `fms-run` start through V8's code cache (README "Start-up code
// cache"): each is a CommonJS bundle `dist/<cli>.cjs`, a three-line ES module
// launcher `dist/<cli>.mjs` that loads it through `dist/fms-boot.mjs`, and
// `dist/<cli>.cjs.cache`, the bytecode V8 compiled while this build ran the CLI
// once on the bundled example (code-cache.mjs, in a child process with a
// scratch HOME). The language server stays one ES module bundle (it starts once
// per editor session).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  // Native add-ons and the cloud KMS SDKs (imported by @fms/signers only when
  // their key uri scheme is used) are loaded from node_modules at run time,
  // never bundled: the bundles stay small and start as fast as without them.
  external: ['pkcs11js', '@aws-sdk/*', '@azure/*', 'google-auth-library'],
};

/** `dist/fmsc` → fmsc.mjs: with `export PATH="$PWD/dist:$PATH"` the README's `fmsc …` lines run as written. */
function link(out) {
  chmodSync(out, 0o755);
  const l = out.replace(/\.mjs$/, '');
  rmSync(l, { force: true });
  symlinkSync(basename(out), l);
}

// The language server (issue 13): `fms-lsp --stdio`. CommonJS dependencies inside an ESM bundle need `require`.
await build({
  ...common,
  entryPoints: ['lsp/src/main.ts'],
  outfile: 'dist/fms-lsp.mjs',
  format: 'esm',
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __fmsCreateRequire } from 'node:module';\nconst require = __fmsCreateRequire(import.meta.url);" },
});
link('dist/fms-lsp.mjs');

copyFileSync('compiler/scripts/fms-boot.mjs', 'dist/fms-boot.mjs');
const clis = [
  { name: 'fmsc', contents: "export { main } from './compiler/src/cli/fmsc-main';\n" },
  // fms-run's bundle also exports the runtime's loader, so the benchmark times a pack load in exactly what fms-run runs.
  {
    name: 'fms-run',
    contents: "export { main } from './runtime/src/cli/fms-run-main';\nexport { parseTrustRoots, verifyPack, loadPackBody, loadPack, MemoryRollbackStore } from '@fms/runtime';\n",
  },
];
for (const c of clis) {
  const out = `dist/${c.name}.cjs`;
  rmSync(`${out}.cache`, { force: true });
  await build({
    ...common,
    stdin: { contents: c.contents, resolveDir: process.cwd(), loader: 'ts', sourcefile: `${c.name}-bundle.ts` },
    outfile: out,
    format: 'cjs',
    // fms-boot.mjs passes the bundle's file URL (the code finds dist/fms-exec and the shipped schema through it).
    define: { 'import.meta.url': '__fmsBundleUrl' },
    // `import()` of the optional packages (pkcs11js, the cloud KMS SDKs) becomes `require()`: code that V8 restores
    // from a cache has lost the script's dynamic-import hook, so an `import()` there would throw.
    supported: { 'dynamic-import': false },
  });
  writeFileSync(
    `dist/${c.name}.mjs`,
    `#!/usr/bin/env node\n// ${c.name}: runs ${c.name}.cjs through fms-boot.mjs (V8's code cache, written by \`npm run build\`).\n` +
      `import { fileURLToPath } from 'node:url';\nimport { loadBundle } from './fms-boot.mjs';\n\n` +
      `await loadBundle(fileURLToPath(new URL('./${c.name}.cjs', import.meta.url))).exports.main(process.argv);\n`,
  );
  link(`dist/${c.name}.mjs`);
}

// The warm-up: each CLI once on the bundled example, in a scratch HOME with no FMS_/XDG_ settings, no NODE_OPTIONS
// (V8 refuses a cache made under other flags) and no CI (under CI=true fmsc refuses the development key the warm-up
// signs with), so the build touches nothing outside dist/ and the scratch folder.
const home = mkdtempSync(join(tmpdir(), 'fms-code-cache-'));
try {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(FMS_|XDG_|NODE_OPTIONS$|CI$)/.test(k)));
  Object.assign(env, { HOME: home, NO_COLOR: '1', FMS_STATE_DIR: join(home, 'state') });
  const example = 'examples/support-bot/governance.fms';
  const pack = join(home, 'p.fmspack');
  const trust = join(home, '.config', 'fms', 'dev-trust.json');
  // warmup/governance.fms uses every pack section (budgets, rate limits, redaction, egress, regexes, defers).
  const policy = 'compiler/scripts/warmup/governance.fms';
  const call = (tool, args) => ['eval', pack, '--trust', trust, '--agent', 'agent-0', '--tool', tool, '--args', JSON.stringify(args)];
  const warmups = {
    fmsc: [['check', example], ['build', policy, '-o', pack]],
    'fms-run': [
      ['verify', pack, '--trust', trust],
      call('svc0/op0', { amount: 5, currency: 'usd', cmd: 'deploy-0 now', url: 'https://api.example.com/v1' }),
      call('shell/run', { cmd: 'ls' }),
    ],
  };
  for (const c of clis) {
    const r = spawnSync(process.execPath, ['compiler/scripts/code-cache.mjs', `dist/${c.name}.cjs`, ...warmups[c.name].map((a) => JSON.stringify(a))], { env, encoding: 'utf8' });
    if (r.status !== 0) {
      process.stderr.write(r.stdout + r.stderr);
      throw new Error(`the code-cache warm-up of ${c.name} failed (exit ${r.status ?? r.signal})`);
    }
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
