// Bundles the extension for VS Code (CommonJS, Node 20, `vscode` external):
//   dist/extension.js   the client (src/extension.ts, vscode-languageclient inside)
//   dist/server.js      the language server (lsp/src/main.ts), when that entry exists
//   dist/syntaxes/      the TextMate grammars from grammar/
// Nothing else is needed at run time: the .vsix ships no node_modules.
import { build } from 'esbuild';
import { common, serverOptions } from './esbuild-options.mjs';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ext = (p) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const repo = (p) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

rmSync(ext('dist'), { recursive: true, force: true });
mkdirSync(ext('dist/syntaxes'), { recursive: true });

await build({ ...common, entryPoints: [ext('src/extension.ts')], outfile: ext('dist/extension.js') });

const serverEntry = repo('lsp/src/main.ts');
if (existsSync(serverEntry)) {
  await build({ ...serverOptions, entryPoints: [serverEntry], outfile: ext('dist/server.js') });
} else {
  process.stderr.write('vscode-extension: lsp/src/main.ts is missing, so this build has no language server (dist/server.js); highlighting and commands only\n');
}

for (const g of ['fms.tmLanguage.json', 'fms-markdown.tmLanguage.json']) copyFileSync(repo(`grammar/${g}`), ext(`dist/syntaxes/${g}`));
