/**
 * The CLIs' start-up code cache (README "Start-up code cache"): `npm run build`
 * writes dist/<cli>.cjs.cache and the launchers use it; a stale, corrupt or
 * unwanted cache is ignored and the bundle runs from its source. Runs on the
 * built dist/ (`npm test` builds first) and on copies of it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths';

const DIST = join(ROOT, 'dist');

/** Copies the fms-run launcher, boot loader, bundle and cache into a fresh folder. */
function copyDist(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fms-code-cache-'));
  for (const f of ['fms-boot.mjs', 'fms-run.mjs', 'fms-run.cjs', 'fms-run.cjs.cache']) copyFileSync(join(DIST, f), join(dir, f));
  return dir;
}

/** `{cacheUsed, rejected}` of loading `<dir>/<name>.cjs` in a fresh node. */
function probe(dir: string, name = 'fms-run', env: NodeJS.ProcessEnv = {}): { cacheUsed: boolean; version: string } {
  const script = `import { loadBundle } from ${JSON.stringify(join(dir, 'fms-boot.mjs'))};\n` +
    `const r = loadBundle(${JSON.stringify(join(dir, `${name}.cjs`))});\nprocess.stdout.write(JSON.stringify(r.cacheUsed));\n`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, FMS_NO_CODE_CACHE: '', ...env } });
  assert.is(r.status, 0, r.stderr);
  const v = spawnSync(process.execPath, [join(dir, `${name}.mjs`), '--version'], { encoding: 'utf8', env: { ...process.env, FMS_NO_CODE_CACHE: '', ...env } });
  assert.is(v.status, 0, v.stderr);
  return { cacheUsed: JSON.parse(r.stdout) as boolean, version: v.stdout.trim() };
}

test('the build wrote a cache for fmsc and fms-run, and both launchers use it', () => {
  for (const name of ['fmsc', 'fms-run']) {
    assert.ok(existsSync(join(DIST, `${name}.cjs.cache`)), `dist/${name}.cjs.cache is missing: npm run build`);
    const p = probe(DIST, name);
    assert.ok(p.cacheUsed, `${name}: cache not used`);
    assert.match(p.version, /^0\.1\.0 /);
  }
});

test('FMS_NO_CODE_CACHE=1 compiles from source, with the same answers', () => {
  assert.not.ok(probe(DIST, 'fms-run', { FMS_NO_CODE_CACHE: '1' }).cacheUsed);
  const ex = join(ROOT, 'examples', 'support-bot', 'governance.fms');
  const run = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [join(DIST, 'fmsc.mjs'), 'check', ex, '--format', 'json'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  const a = run({ FMS_NO_CODE_CACHE: '' });
  const b = run({ FMS_NO_CODE_CACHE: '1' });
  assert.is(a.status, b.status);
  assert.is(a.stdout, b.stdout);
  assert.ok(a.stdout.length > 0);
});

test('an edited bundle of the same length runs its new source, not the stale bytecode (V8 alone would run the old)', () => {
  const dir = copyDist();
  assert.ok(probe(dir).cacheUsed);
  const f = join(dir, 'fms-run.cjs');
  const src = readFileSync(f, 'latin1');
  const edited = src.replace("versionLine(\"0.1.0\")", "versionLine(\"0.1.9\")");
  assert.is.not(edited, src, 'the version call was not found in the bundle');
  assert.is(edited.length, src.length);
  writeFileSync(f, edited, 'latin1');
  const p = probe(dir);
  assert.not.ok(p.cacheUsed);
  assert.match(p.version, /^0\.1\.9 /);
});

test('a cache whose data changed on disk (one flipped byte anywhere) is not used', () => {
  const dir = copyDist();
  const c = readFileSync(join(dir, 'fms-run.cjs.cache'));
  const nl = c.indexOf(10);
  for (const at of [nl + 1, nl + 1 + Math.floor((c.length - nl) / 2), c.length - 1, 20]) {
    const b = Buffer.from(c);
    b[at]! ^= 0x40;
    writeFileSync(join(dir, 'fms-run.cjs.cache'), b);
    const p = probe(dir);
    assert.not.ok(p.cacheUsed, `byte ${at}`);
    assert.match(p.version, /^0\.1\.0 /);
  }
  // Cut short, empty, or no header at all.
  for (const bad of [c.subarray(0, c.length - 1), Buffer.alloc(0), c.subarray(nl + 1)]) {
    writeFileSync(join(dir, 'fms-run.cjs.cache'), bad);
    assert.not.ok(probe(dir).cacheUsed);
  }
});

test('the warm-up writes no cache when one of its commands fails', () => {
  const dir = copyDist();
  const cache = join(dir, 'fms-run.cjs.cache');
  writeFileSync(cache, 'old');
  const r = spawnSync(process.execPath, [join(ROOT, 'compiler', 'scripts', 'code-cache.mjs'), join(dir, 'fms-run.cjs'), JSON.stringify(['verify', join(dir, 'missing.fmspack')])], { encoding: 'utf8' });
  assert.is(r.status, 1);
  assert.match(r.stderr, /code-cache: `verify .*missing\.fmspack` exited 2/);
  assert.is(readFileSync(cache, 'utf8'), 'old');
});

test.run();
