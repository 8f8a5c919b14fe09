/**
 * Pack loads in fresh `node` processes, through exactly what `fms-run` runs:
 * `dist/fms-run.cjs` loaded by `dist/fms-boot.mjs` with the V8 code cache
 * `npm run build` wrote (README "Start-up code cache"), or without it
 * (`FMS_NO_CODE_CACHE=1`). `npm run bench` builds dist/ first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/paths';
import { quantile } from './stats';

/** One fresh process's times, ms (medians): `first`, the timed load, both together, process start → loaded, the timed load's CPU. */
export interface FreshTimes {
  firstMs: number;
  loadMs: number;
  totalMs: number;
  sinceStartMs: number;
  cpuMs: number;
}

/** Medians over the runs, with the code cache and (when asked for) without it (the runs alternate). */
export interface FreshResult {
  cached: FreshTimes;
  uncached: FreshTimes | null;
}

/**
 * Runs `first` then `timed` (JavaScript statements over `m`, the exports of
 * dist/fms-run.cjs, and the values `setup` defines), each timed, in `runs`
 * fresh processes with the code cache and, with `uncached`, `runs` without it,
 * alternating. Throws if the cache was not used when it should have been, or
 * was used when it should not.
 */
export function freshRuns(setup: string, first: string, timed: string, runs: number, uncached = true): FreshResult {
  const boot = join(ROOT, 'dist', 'fms-boot.mjs');
  if (!existsSync(join(ROOT, 'dist', 'fms-run.cjs.cache'))) throw new Error('dist/fms-run.cjs.cache is missing: npm run build');
  const dir = mkdtempSync(join(tmpdir(), 'fms-bench-fresh-'));
  const script = join(dir, 'fresh.mjs');
  writeFileSync(
    script,
    `import { readFileSync } from 'node:fs';\n` +
      `import { loadBundle } from ${JSON.stringify(pathToFileURL(boot).href)};\n` +
      `const { exports: m, cacheUsed } = loadBundle(${JSON.stringify(join(ROOT, 'dist', 'fms-run.cjs'))});\n` +
      `${setup}\n` +
      `const tf = performance.now();\n${first}\n` +
      `const c0 = process.cpuUsage();\nconst t0 = performance.now();\n${timed}\nconst t1 = performance.now();\nconst cu = process.cpuUsage(c0);\n` +
      `process.stdout.write(JSON.stringify([t0 - tf, t1 - t0, t1 - tf, t1, (cu.user + cu.system) / 1000, cacheUsed]));\n`,
  );
  const rows: Record<'cached' | 'uncached', number[][]> = { cached: [], uncached: [] };
  for (let i = 0; i < runs; i++) {
    for (const mode of uncached ? (['cached', 'uncached'] as const) : (['cached'] as const)) {
      const env = { ...process.env, FMS_NO_CODE_CACHE: mode === 'cached' ? '' : '1' };
      const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env });
      if (r.status !== 0) throw new Error(`fresh-process load failed: ${r.stderr}`);
      const out = JSON.parse(r.stdout) as [number, number, number, number, number, boolean];
      const used = out[5];
      if (used !== (mode === 'cached')) throw new Error(`fresh-process load: the code cache was ${used ? '' : 'not '}used in the ${mode} run`);
      rows[mode].push(out.slice(0, 5) as number[]);
    }
  }
  const med = (xs: number[][], k: number): number => quantile(Float64Array.from(xs.map((x) => x[k]!)), 0.5);
  const times = (xs: number[][]): FreshTimes => ({ firstMs: med(xs, 0), loadMs: med(xs, 1), totalMs: med(xs, 2), sinceStartMs: med(xs, 3), cpuMs: med(xs, 4) });
  return { cached: times(rows.cached), uncached: uncached ? times(rows.uncached) : null };
}
