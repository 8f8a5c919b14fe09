import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths';

/** The extension folder. */
export const EXT = join(ROOT, 'vscode-extension');
/** The language server's entry (written by the LSP part); the extension bundles it when present. */
export const SERVER_ENTRY = join(ROOT, 'lsp', 'src', 'main.ts');

let built = false;

/** Bundles the extension once per process (esbuild, about a second): dist/extension.js, dist/server.js when the entry exists, dist/syntaxes/. */
export function buildExtension(): void {
  if (built) return;
  const r = spawnSync(process.execPath, [join(EXT, 'scripts', 'bundle.mjs')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bundling the extension failed:\n${r.stderr}`);
  built = true;
}
