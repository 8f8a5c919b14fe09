/**
 * STYLE.md habit 12: the reference interpreter of the differential test shares
 * no semantics with the evaluator it checks. It may import types, the state
 * store (storage) and the payload wording, never the runtime's value
 * semantics, built-ins, pipeline or bytecode.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../../helpers/paths';

test('compiler/src/interp imports nothing of the runtime evaluator', () => {
  const src = readFileSync(join(ROOT, 'compiler/src/interp/interpret.ts'), 'utf8');
  const imports = [...src.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
  assert.ok(imports.length > 0);
  // `@fms/runtime` (the library entry: types, the state store, clocks) exports no value semantics, built-ins or pipeline.
  // `node:url` gives IDNA (`domainToASCII`), the one piece of host parsing both sides take from the platform.
  const allowed = new Set(['node:url', 're2js', '../ir/types', '@fms/runtime', '@fms/runtime/payloads']);
  assert.equal(imports.filter((i) => !allowed.has(i)), []);
});

test.run();
