// Issue 17: `fmsc fmt --format json`: one versioned report on stdout (per
// file: formatted, written, diff, the text of stdin, syntax errors), and I/O
// errors as JSON errors on stdout besides their line on stderr.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../helpers/paths';

const dir = mkdtempSync(join(tmpdir(), 'fms-fmt-json-'));
const env = { ...process.env, NO_COLOR: '1', CI: '' };
const fmt = (args: string[], input?: string) => spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), 'fmt', '--format', 'json', ...args], { cwd: dir, env, encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
const UGLY = 'agent "a" {\ndefault   deny\n}\n';
const CLEAN = 'agent "a" {\n  default deny\n}\n';

interface Report {
  version: number;
  tool: string;
  ok: boolean;
  files: Array<{ file: string; formatted?: boolean; written?: boolean; text?: string; diff?: string; diagnostics?: Array<{ code: string; range: { start: { line: number; col: number } } }> }>;
}
const report = (r: ReturnType<typeof fmt>): Report => JSON.parse(r.stdout) as Report;

test('writing: which files were formatted and which were rewritten', () => {
  writeFileSync(join(dir, 'ugly.fms'), UGLY);
  writeFileSync(join(dir, 'clean.fms'), CLEAN);
  const r = fmt(['ugly.fms', 'clean.fms']);
  assert.is(r.status, 0, r.stderr);
  const j = report(r);
  assert.equal([j.version, j.tool, j.ok], [1, 'fmsc', true]);
  assert.equal(j.files, [{ file: 'ugly.fms', formatted: false, written: true }, { file: 'clean.fms', formatted: true, written: false }]);
  assert.is(readFileSync(join(dir, 'ugly.fms'), 'utf8'), CLEAN);
});

test('--check and --diff: exit 1 and the report says what would change; stdin text comes in the report', () => {
  writeFileSync(join(dir, 'ugly2.fms'), UGLY);
  const c = fmt(['--check', 'ugly2.fms']);
  assert.is(c.status, 1);
  assert.equal(report(c).files, [{ file: 'ugly2.fms', formatted: false }]);
  const d = fmt(['--diff', 'ugly2.fms']);
  assert.is(d.status, 1);
  assert.match(report(d).files[0]!.diff ?? '', /^--- a\/ugly2\.fms\n\+\+\+ b\/ugly2\.fms\n/);
  const s = fmt(['-'], UGLY);
  assert.is(s.status, 0);
  assert.equal(report(s).files, [{ file: '<stdin>', formatted: false, text: CLEAN }]);
  assert.is(readFileSync(join(dir, 'ugly2.fms'), 'utf8'), UGLY, '--check/--diff write nothing');
});

test('a syntax error: exit 1, its diagnostics with line and column in the report', () => {
  const r = fmt(['-'], 'agent "a" {\n  default deny\n');
  assert.is(r.status, 1);
  const j = report(r);
  assert.is(j.ok, false);
  assert.is(j.files[0]!.diagnostics![0]!.code, 'FMS1003');
  assert.equal(j.files[0]!.diagnostics![0]!.range.start, { line: 1, col: 11 });
});

test('an I/O error is a JSON error on stdout and one line on stderr (exit 2)', () => {
  const r = fmt(['missing.fms']);
  assert.is(r.status, 2);
  const j = JSON.parse(r.stdout) as { version: number; ok: boolean; error: { message: string; exit_code: number } };
  assert.equal([j.version, j.ok, j.error.exit_code], [1, false, 2]);
  assert.match(j.error.message, /^cannot read `missing\.fms`: no such file/);
  assert.is(r.stderr, `fmsc: ${j.error.message}\n`);
});

test.run();
