// `fmsc fmt --diff`: the unified diff applies with the system `patch` and gives
// the formatted text; no diff and exit 0 when already formatted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../helpers/paths';
import { unifiedDiff } from '../../../compiler/src/util/unified-diff';

const dir = mkdtempSync(join(tmpdir(), 'fms-diff-'));
const havePatch = spawnSync('patch', ['--version']).status === 0;

/** Applies a diff with patch(1) and returns the result. */
function applied(a: string, diff: string): string {
  const f = join(dir, 'f.txt');
  writeFileSync(f, a);
  writeFileSync(join(dir, 'd.patch'), diff);
  const r = spawnSync('patch', ['-s', '-o', join(dir, 'out.txt'), f, join(dir, 'd.patch')], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr + diff);
  return readFileSync(join(dir, 'out.txt'), 'utf8');
}

test('random line edits: patch(1) turns a into b with the diff', () => {
  if (!havePatch) {
    if (process.env.CI === 'true') assert.unreachable('patch(1) is required under CI=true');
    process.stderr.write('SKIPPED unified-diff: patch(1) missing\n');
    return;
  }
  let seed = 7;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let round = 0; round < 60; round++) {
    const a = Array.from({ length: 5 + rnd(30) }, () => `line ${rnd(8)}`);
    const b = [...a];
    for (let e = 0; e < 1 + rnd(6); e++) {
      const at = rnd(b.length + 1);
      const k = rnd(3);
      if (k === 0) b.splice(at, 1);
      else if (k === 1) b.splice(at, 0, `new ${rnd(100)}`);
      else b[Math.min(at, b.length - 1)] = `changed ${rnd(100)}`;
    }
    const ta = a.join('\n') + '\n';
    const tb = b.join('\n') + '\n';
    const d = unifiedDiff(ta, tb, 'a/f', 'b/f');
    if (ta === tb) assert.is(d, '');
    else assert.is(applied(ta, d), tb);
  }
  // the quadratic guard: a huge middle is replaced wholesale, still correct
  const big = unifiedDiff('x\n'.repeat(3000), 'y\n'.repeat(3000), 'a', 'b', 1000);
  assert.is(applied('x\n'.repeat(3000), big), 'y\n'.repeat(3000));
});

test('fmsc fmt --diff: a diff on stdout and exit 1 when formatting would change the file; the file is untouched', () => {
  const f = join(dir, 'p.fms');
  const src = 'agent "a" {  default deny\n  rules {\npermit x\n  }\n}\n';
  writeFileSync(f, src);
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), 'fmt', '--diff', f], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stdout, /^--- a\/.*p\.fms\n\+\+\+ b\/.*p\.fms\n@@ -1,5 \+1,6 @@\n-agent "a" \{  default deny\n\+agent "a" \{\n\+  default deny\n/);
  assert.is(readFileSync(f, 'utf8'), src);
  if (havePatch) assert.is(applied(src, r.stdout), spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), 'fmt', '-'], { input: src, encoding: 'utf8' }).stdout);
  const clean = spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), 'fmt', '--diff', '-'], { input: 'agent "a" {\n  default deny\n}\n', encoding: 'utf8' });
  assert.is(clean.status, 0);
  assert.is(clean.stdout, '');
});

test.run();
