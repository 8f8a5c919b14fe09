// `fmsc check` output for people: diagnostics in reading order, a summary line,
// and a did-you-mean for a misspelt or capitalised effect in `rules {}` with
// the span on the word itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../helpers/paths';
import { compile } from '../../../compiler/src/compile';
import { sortDiagnostics, summaryLine } from '../../../compiler/src/cli/load';
import type { Diagnostic } from '../../../compiler/src/diagnostics/diagnostic';

const FMSC = join(ROOT, 'dist/fmsc.mjs');
const check = (src: string, args: string[] = []) =>
  spawnSync(process.execPath, [FMSC, 'check', ...args, '-'], { input: src, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: '' } });

test('`permitt x` and `Deny y` in rules {} get a did-you-mean on the word', () => {
  const src = 'agent "a" {\n  default deny\n  rules {\n    permitt x\n    Deny y\n    toString z\n  }\n}\n';
  const r = compile(src, 'p.fms', { env: {} });
  const d = r.diagnostics.filter((x) => x.code === 'FMS2001');
  assert.is(d.length, 3);
  assert.equal(d.map((x) => src.slice(x.span.start, x.span.end)), ['permitt', 'Deny', 'toString']);
  assert.match(d[0].help ?? '', /^did you mean `permit`\?/);
  assert.match(d[1].help ?? '', /^did you mean `deny`\?/);
  assert.is(d[2].help, undefined, 'a prototype name gets no guess');
});

test('text output is sorted by position and ends with a summary line', () => {
  const r = check('agent "a" {\n  rules {\n    permitt x\n  }\n}\n');
  assert.is(r.status, 1);
  const heads = r.stderr.split('\n').filter((l) => /^<stdin>:\d+:\d+:/.test(l));
  const lines = heads.map((l) => Number(/^<stdin>:(\d+):/.exec(l)![1]));
  assert.equal(lines, [...lines].sort((a, b) => a - b));
  assert.match(r.stderr, /\n1 error, 1 warning\n$/);
  assert.is(check('agent "a" {\n  default deny\n}\n').stderr, '', 'nothing, not even a summary, when clean');
});

test('sortDiagnostics keeps file order of first appearance; summaryLine counts errors and warnings', () => {
  const d = (file: string, start: number, severity: Diagnostic['severity']): Diagnostic => ({ code: 'FMS2001', severity, message: '', file, span: { start, end: start + 1 } });
  const sorted = sortDiagnostics([d('b.fms', 9, 'error'), d('a.fms', 5, 'warning'), d('b.fms', 1, 'warning'), d('a.fms', 5, 'error')]);
  assert.equal(sorted.map((x) => `${x.file}:${x.span.start}:${x.severity}`), ['b.fms:1:warning', 'b.fms:9:error', 'a.fms:5:error', 'a.fms:5:warning']);
  assert.is(summaryLine([d('a', 1, 'error'), d('a', 2, 'error'), d('a', 3, 'warning'), d('a', 4, 'info')]), '2 errors, 1 warning');
  assert.is(summaryLine([d('a', 4, 'info')]), '');
});

test('a lookbehind or lookahead pattern is named as such; `ttl = "10mins"` gets the FPL spelling', () => {
  const re = (pat: string) => compile(`agent "a" {\n  default deny\n  rules {\n    permit x if args.a matches "${pat}"\n  }\n}\n`, 'p.fms', { env: {} }).diagnostics.find((d) => d.code === 'FMS2018');
  assert.match(re('(?<=a)b')?.message ?? '', /lookbehind `\(\?<=…\)` \/ `\(\?<!…\)` is not supported/);
  assert.match(re('(?<!a)b')?.message ?? '', /lookbehind/);
  assert.match(re('a(?=b)')?.message ?? '', /lookahead/);
  assert.match(re('(?<name>a)(?<name>b)')?.message ?? 'x', /^invalid regular expression: (?!lookbehind)/);
  const ttl = (v: string) => compile(`agent "a" {\n  default deny\n  delegate "b" {\n    ttl = "${v}"\n  }\n}\nagent "b" { default deny }\n`, 'p.fms', { env: {} }).diagnostics.find((d) => d.code === 'FMS2027');
  assert.is(ttl('10mins')?.help, 'did you mean `10m`? units are `ms`, `s`, `m`, `h`, `d` and `w`, right after the number');
  assert.is(ttl('10mins')?.suggestion, '10m');
  assert.match(ttl('2 Hours')?.help ?? '', /^did you mean `2h`\?/);
  assert.match(ttl('10 toString')?.help ?? '', /^units are/);
  assert.is(ttl('10m'), undefined);
});

test.run();
