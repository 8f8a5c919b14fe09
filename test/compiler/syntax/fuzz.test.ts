import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { compile } from '../../../compiler/src/compile';
import { parse } from '../../../compiler/src/syntax/parse';
import { corpusSuite, walk } from '../../helpers/paths';

const { dir: CORPUS, test } = corpusSuite('syntax/fuzz.test.ts');
const sources = walk(CORPUS)
  .filter((f) => /\.(fpl|fms)$/.test(f))
  .map((f) => readFileSync(f, 'utf8'));

const PIECES = ['{', '}', '(', ')', '[', ']', '"', "'", '=', ':', ',', '!', '$', '#', '\n', '\\\n', ' ', 'deny!', 'permit', 'if', 'when', 'not', 'in', 'and', '||', '&&', '==', '<=', 'rate_limit', 'per', 'redact', 'args', 'import', 'as', 'var', 'manifest', 'agent', 'rules', '*', '/', '.', '1e3', '$5', '10mb', 'ed25519:AAAA', 'env(', '...', '<x>', '\u0000', '\u00e9', '\ud83d\ude00'];

/** One mutation: delete, insert, duplicate or swap a run of characters or whole tokens. */
const mutation = fc.record({
  kind: fc.constantFrom('delete', 'insert', 'swap', 'duplicate', 'tokenDelete'),
  at: fc.nat(),
  len: fc.integer({ min: 1, max: 12 }),
  piece: fc.constantFrom(...PIECES),
  other: fc.nat(),
});

function mutate(text: string, muts: { kind: string; at: number; len: number; piece: string; other: number }[]): string {
  let t = text;
  for (const m of muts) {
    const at = t.length ? m.at % (t.length + 1) : 0;
    switch (m.kind) {
      case 'delete':
        t = t.slice(0, at) + t.slice(at + m.len);
        break;
      case 'insert':
        t = t.slice(0, at) + m.piece + t.slice(at);
        break;
      case 'duplicate':
        t = t.slice(0, at) + t.slice(at, at + m.len) + t.slice(at);
        break;
      case 'swap': {
        const b = t.length ? m.other % (t.length + 1) : 0;
        const [x, y] = at < b ? [at, b] : [b, at];
        t = t.slice(0, x) + t.slice(y, y + m.len) + t.slice(x + m.len, y) + t.slice(x, x + m.len) + t.slice(y + m.len);
        break;
      }
      case 'tokenDelete': {
        const words = t.split(/(\s+)/);
        if (words.length) words.splice(m.other % words.length, 1);
        t = words.join('');
        break;
      }
    }
  }
  return t;
}

test('mutated corpus files: the front end never throws, always ends, and every span lies inside the file (20,000 cases)', () => {
  let withDiagnostics = 0;
  fc.assert(
    fc.property(fc.nat({ max: sources.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, muts) => {
      const text = mutate(sources[i]!, muts);
      const r = compile(text, 'fuzz.fms', { env: {}, allowUnsetEnv: true });
      for (const d of r.diagnostics) {
        if (d.code === 'FMS1099') throw new Error(`internal parser error on:\n${text}\n${d.message}`);
        if (!(d.span.start >= 0 && d.span.start <= d.span.end && d.span.end <= text.length)) {
          throw new Error(`span ${d.span.start}-${d.span.end} outside a file of ${text.length} characters (${d.code} ${d.message})`);
        }
        for (const rel of d.related ?? []) if (rel.span.end > text.length || rel.span.start < 0) throw new Error(`related span outside the file (${d.code})`);
      }
      if (r.diagnostics.length) withDiagnostics++;
    }),
    { numRuns: 20_000, seed: Number(process.env.FMS_FUZZ_SEED ?? 20261126) },
  );
  assert.ok(withDiagnostics > 1000, `mutations should break many files (${withDiagnostics} had diagnostics)`);
});

test('random printable text never crashes the parser', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => {
      const r = parse(text);
      assert.not.ok(r.diagnostics.some((d) => d.code === 'FMS1099'));
      for (const d of r.diagnostics) assert.ok(d.span.end <= text.length);
    }),
    { numRuns: 2000, seed: 7 },
  );
});

test.run();
