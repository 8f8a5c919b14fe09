import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { compile } from '../../../compiler/src/compile';
import { parse } from '../../../compiler/src/syntax/parse';
import { type Mutation, PIECES, mutate } from '../../helpers/fpl-gen';
import { corpusSuite, walk } from '../../helpers/paths';

const { dir: CORPUS, test } = corpusSuite('syntax/fuzz.test.ts');
const sources = walk(CORPUS)
  .filter((f) => /\.(fpl|fms)$/.test(f))
  .map((f) => readFileSync(f, 'utf8'));

/** One mutation: delete, insert, duplicate or swap a run of characters or whole tokens (see helpers/fpl-gen). */
const mutation = fc.record({
  kind: fc.constantFrom('delete', 'insert', 'swap', 'duplicate', 'tokenDelete') as fc.Arbitrary<Mutation['kind']>,
  at: fc.nat(),
  len: fc.integer({ min: 1, max: 12 }),
  piece: fc.constantFrom(...PIECES),
  other: fc.nat(),
});

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
