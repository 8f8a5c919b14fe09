// Bundles the extension for VS Code (CommonJS, Node 20, `vscode` external):
//   dist/extension.js   the client (src/extension.ts, vscode-languageclient inside)
//   dist/server.js      the language server (lsp/src/main.ts), when that entry exists
//   dist/syntaxes/      the TextMate grammars from grammar/
// Nothing else is needed at run time: the .vsix ships no node_modules.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ext = (p) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const repo = (p) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

rmSync(ext('dist'), { recursive: true, force: true });
mkdirSync(ext('dist/syntaxes'), { recursive: true });

// ESM sources that read import.meta.url get the bundle's own file URL in CJS.
const common = {
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

await build({ ...common, entryPoints: [ext('src/extension.ts')], outfile: ext('dist/extension.js') });

const serverEntry = repo('lsp/src/main.ts');
if (existsSync(serverEntry)) {
  // Native or optional modules the front end never loads stay out of the bundle.
  await build({ ...common, entryPoints: [serverEntry], outfile: ext('dist/server.js'), external: ['vscode', 'pkcs11js'] });
} else {
  process.stderr.write('vscode-extension: lsp/src/main.ts is missing, so this build has no language server (dist/server.js); highlighting and commands only\n');
}

for (const g of ['fms.tmLanguage.json', 'fms-markdown.tmLanguage.json']) copyFileSync(repo(`grammar/${g}`), ext(`dist/syntaxes/${g}`));
