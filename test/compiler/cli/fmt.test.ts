import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

function fmsc(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'compiler/src/cli/fmsc.ts', 'fmt', ...args], {
    cwd: repo,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    encoding: 'utf8',
    ...(input !== undefined ? { input } : {}),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const UGLY = 'agent   bot {\nmodel="x"\n   timeout_ms = 5   # t\npermit a/b   if amount<$5\n}';
const PRETTY = 'agent bot {\n  model      = "x"\n  timeout_ms = 5 # t\n  permit a/b if amount < $5\n}\n';

let dir = '';
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'fmsc-fmt-'));
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('rewrites an unformatted file in place, keeps its mode, leaves no temporary file', () => {
  const f = join(dir, 'governance.fms');
  writeFileSync(f, UGLY);
  chmodSync(f, 0o640);
  const r = fmsc([f]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '');
  assert.is(readFileSync(f, 'utf8'), PRETTY);
  assert.is(statSync(f).mode & 0o777, 0o640);
  assert.equal(readdirSync(dir), ['governance.fms']);
});

test('does not touch a file that is already formatted', () => {
  const f = join(dir, 'ok.fms');
  writeFileSync(f, PRETTY);
  const before = statSync(f).mtimeMs;
  const r = fmsc([f]);
  assert.is(r.code, 0, r.stderr);
  assert.is(statSync(f).mtimeMs, before);
  assert.is(readFileSync(f, 'utf8'), PRETTY);
});

test('--check: exit 0 when formatted, 1 and `FILE: not formatted` otherwise; never writes', () => {
  const ok = join(dir, 'ok.fms');
  const bad = join(dir, 'bad.fpl');
  writeFileSync(ok, PRETTY);
  writeFileSync(bad, UGLY);
  const good = fmsc(['--check', ok]);
  assert.is(good.code, 0, good.stderr);
  assert.is(good.stdout, '');
  const r = fmsc(['--check', ok, bad]);
  assert.is(r.code, 1);
  assert.is(r.stdout, `${bad}: not formatted\n`);
  assert.is(readFileSync(bad, 'utf8'), UGLY);
});

test('syntax errors: exit 1, `file:line:col: error[CODE]: message`, file unchanged', () => {
  const f = join(dir, 'broken.fms');
  const src = 'agent a {\n  permit\n';
  writeFileSync(f, src);
  for (const args of [[f], ['--check', f]]) {
    const r = fmsc(args);
    assert.is(r.code, 1);
    assert.match(r.stderr, new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: error\\[FMS1\\d{3}\\]: `, 'm'));
    assert.is(readFileSync(f, 'utf8'), src);
  }
});

test('a file with errors does not stop the others from being formatted', () => {
  const broken = join(dir, 'broken.fms');
  const ugly = join(dir, 'ugly.fms');
  writeFileSync(broken, 'agent a {\n');
  writeFileSync(ugly, UGLY);
  const r = fmsc([broken, ugly]);
  assert.is(r.code, 1);
  assert.is(readFileSync(ugly, 'utf8'), PRETTY);
});

test('missing file: exit 2 with one line, and nothing else is written', () => {
  const ugly = join(dir, 'ugly.fms');
  writeFileSync(ugly, UGLY);
  const r = fmsc([ugly, join(dir, 'missing.fms')]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /missing\.fms/);
  assert.is(r.stderr.trim().split('\n').length, 1);
  assert.is(readFileSync(ugly, 'utf8'), UGLY);
});

test('a directory argument and no argument at all are usage errors (exit 2)', () => {
  assert.is(fmsc([dir]).code, 2);
  assert.is(fmsc([]).code, 2);
});

test('`-` reads stdin and writes stdout', () => {
  const r = fmsc(['-'], UGLY);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, PRETTY);
  const c = fmsc(['--check', '-'], UGLY);
  assert.is(c.code, 1);
  assert.is(c.stdout, '<stdin>: not formatted\n');
  const bad = fmsc(['-'], 'agent {\n');
  assert.is(bad.code, 1);
  assert.is(bad.stdout, '');
  assert.match(bad.stderr, /^<stdin>:1:\d+: error\[FMS1003\]/m);
});

test.run();
