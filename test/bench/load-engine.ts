/** Bundles ./engine.ts with esbuild (as the CLIs are shipped) and imports it: what every benchmark measures. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export type Engine = typeof import('./engine');

const here = dirname(fileURLToPath(import.meta.url));

export async function loadEngine(): Promise<Engine> {
  const out = join(mkdtempSync(join(tmpdir(), 'fms-bench-')), 'engine.mjs');
  await build({ entryPoints: [join(here, 'engine.ts')], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });
  return (await import(pathToFileURL(out).href)) as Engine;
}
