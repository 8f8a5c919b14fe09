/**
 * Regexes on the built-in RegExp (issue 15): only patterns regex-safety.ts
 * proves linear run there, and they answer exactly like RE2 (re2js). A
 * property test generates RE2 patterns from the pieces the translator reads
 * (and pieces it must refuse) and inputs built from the same alphabet, plus
 * the characters where JS and RE2 differ (`\r`, U+2028, astral, Kelvin sign,
 * long s).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { safeRegExpSource } from '../../../runtime/src/vm/regex-safety';
import { compile, emitPackBody } from '@fms/compiler';
import { ManualClock, MemoryState } from '../../../runtime/src/state/store';
import { loadPackBody } from '../../../runtime/src/vm/loaded-pack';

const ATOMS = ['a', 'b', 'A', 'k', 's', '-', '/', '.', '\\.', '\\d', '\\D', '\\w', '\\W', '\\s', '\\S', '\\n', '\\t', '[a-c]', '[^a]', '[\\d_]', '[\\s.]', '[k-s]', '\\$', '\\\\', 'é', '😀', ' ', '\\-', '[\\]x]', '\\/'];
const REFUSED = ['a*', 'b+', 'a{2}', '(?s)', '\\b', '\\pL', '[[:alpha:]]', '\\x41', '(?P<n>a)', 'a*?', '\\1', '(?=a)', ']', '}'];
const CHARS = ['a', 'b', 'A', 'B', 'k', 'K', '\u212a', 's', 'S', '\u017f', '-', '/', '.', '1', '_', ' ', '\n', '\r', '\t', '\u2028', '\u00a0', '\v', 'é', 'É', '😀', '$', '\\', ']', 'x'];

const piece: fc.Arbitrary<string> = fc.letrec<{ p: string }>((tie) => ({
  p: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...ATOMS),
    fc.constantFrom(...ATOMS).map((a) => a + '?'),
    fc.constantFrom('^', '$'),
    fc.tuple(tie('p'), tie('p')).map(([x, y]) => x + y),
    fc.tuple(tie('p'), tie('p')).map(([x, y]) => `(${x}|${y})`),
    fc.tuple(tie('p'), tie('p')).map(([x, y]) => `(?:${x}${y})?`),
    fc.constantFrom(...REFUSED),
  ),
})).p;
const pattern = fc.tuple(fc.boolean(), fc.array(piece, { minLength: 1, maxLength: 4 })).map(([ci, ps]) => (ci ? '(?i)' : '') + ps.join(''));
const input = fc.array(fc.constantFrom(...CHARS), { maxLength: 12 }).map((xs) => xs.join(''));

function re2(p: string): RE2JS | null {
  try {
    return RE2JS.compile(p);
  } catch {
    return null;
  }
}

test('a proven pattern answers like re2js on every input (property)', () => {
  let proven = 0;
  fc.assert(
    fc.property(pattern, fc.array(input, { minLength: 1, maxLength: 8 }), (p, xs) => {
      const safe = safeRegExpSource(p);
      if (safe === null) return true;
      const r = re2(p);
      // A pattern the translator accepts is valid RE2.
      assert.ok(r !== null, `accepted a pattern RE2 refuses: ${p}`);
      proven++;
      const js = new RegExp(safe.source, safe.flags);
      for (const x of xs) assert.is(js.test(x), r!.test(x), `pattern ${JSON.stringify(p)} → /${safe.source}/${safe.flags} on ${JSON.stringify(x)}`);
      return true;
    }),
    { numRuns: 20_000, seed: 15 },
  );
  assert.ok(proven > 5_000, `only ${proven} patterns proven`);
});

test('repetition and everything unknown stay on re2js', () => {
  for (const p of ['a*b', '(a+)+$', 'x{2,}', '^(a|a)*$', '.*', 'a+?', '(?s).', '(?m)^a', '\\bword', '\\p{L}', '[[:alpha:]]', '\\x41', '(?P<n>a)', '\\Qa\\E', 'a??', 'a?+', '?a', '(a', 'a)', '[a', '[]a]', '[a-]', '[z-a]', '(?i)\\w', '(?i)[a-z]', 'a(?i)b']) {
    assert.is(safeRegExpSource(p), null, p);
  }
  assert.is(safeRegExpSource('a?'.repeat(7)), null, 'too many optionals');
  assert.is(safeRegExpSource('a'.repeat(2000)), null, 'too long');
  for (const p of ['^(deploy|rollback)', '(?i)drop table', 'prod', '^rm\\s-rf\\s/', '\\.env$', '^s3://prod-[0-9]', 'a?b?']) assert.ok(safeRegExpSource(p), p);
});

test('a catastrophic pattern on hostile input stays fast (re2js), and a proven one is on RegExp', () => {
  const src = ['agent "a" {', '  default permit', '  rules {', '    deny t if args.x matches "^(a+)+$"', '    deny u if args.x matches "^(deploy|rollback)"', '  }', '}', ''].join('\n');
  const r = compile(src, 'governance.fms');
  assert.ok(r.ir, JSON.stringify(r.diagnostics));
  const pack = loadPackBody(emitPackBody(r.ir!), { clock: new ManualClock(0), state: new MemoryState() });
  const t0 = performance.now();
  const d = pack.decide({ agent: 'a', tool: 't', args: { x: 'a'.repeat(5000) + '!' } });
  assert.ok(performance.now() - t0 < 2000);
  assert.is(d.effect, 'permit');
  assert.is(pack.decide({ agent: 'a', tool: 'u', args: { x: 'deploy now' } }).effect, 'deny');
  assert.is(pack.decide({ agent: 'a', tool: 'u', args: { x: 'x deploy' } }).effect, 'permit');
});

test.run();
