// esbuild options for the extension's bundles (CommonJS for VS Code's Node,
// `vscode` provided by the editor). Shared by bundle.mjs and the test that
// checks the compiler's front end still works when bundled this way.

/** Options for every bundle: ESM sources that read import.meta.url get the bundle's own file URL in CJS. */
export const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  banner: { js: "const __fmsImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__fmsImportMetaUrl' },
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
};

/** The language server's bundle: native or optional modules the front end never loads stay out. */
export const serverOptions = { ...common, external: ['vscode', 'pkcs11js'] };
