// Bundles the two CLIs and the language server into dist/ with esbuild (ESM, Node 20).
// CommonJS dependencies inside an ESM bundle need `require`: the banner provides it.
import { build } from 'esbuild';
import { chmodSync, rmSync, symlinkSync } from 'node:fs';
import { basename } from 'node:path';

const banner = {
  js: "#!/usr/bin/env node\nimport { createRequire as __fmsCreateRequire } from 'node:module';\nconst require = __fmsCreateRequire(import.meta.url);",
};

const entries = [
  { in: 'compiler/src/cli/fmsc.ts', out: 'dist/fmsc.mjs' },
  { in: 'runtime/src/cli/fms-run.ts', out: 'dist/fms-run.mjs' },
  // The language server (issue 13): `fms-lsp --stdio`.
  { in: 'lsp/src/main.ts', out: 'dist/fms-lsp.mjs' },
];

for (const e of entries) {
  await build({
    entryPoints: [e.in],
    outfile: e.out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    // Native add-ons and the cloud KMS SDKs (imported by @fms/signers only when
    // their key uri scheme is used) are loaded from node_modules at run time,
    // never bundled: the bundles stay small and start as fast as without them.
    external: ['pkcs11js', '@aws-sdk/*', '@azure/*', 'google-auth-library'],
  });
  chmodSync(e.out, 0o755);
  // `dist/fmsc` → fmsc.mjs: with `export PATH="$PWD/dist:$PATH"` the README's `fmsc …` lines run as written.
  const link = e.out.replace(/\.mjs$/, '');
  rmSync(link, { force: true });
  symlinkSync(basename(e.out), link);
}
