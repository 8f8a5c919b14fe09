/**
 * The bytecode verifier's switch uses the opcodes' numeric values as literal
 * case labels (one jump table in V8's interpreter; issue 15, fresh-process
 * load). This pins every label to OP, so a renumbering cannot slip past it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONST_TAG, OP } from '../../../runtime/src/pack/format';

const SRC = readFileSync(fileURLToPath(new URL('../../../runtime/src/vm/verify.ts', import.meta.url)), 'utf8');

test('every literal case label of the verifier names the opcode it stands for', () => {
  const labels = [...SRC.matchAll(/case (0x[0-9a-f]+|\d+):(?: \{)? \/\/ OP\.(\w+)/g)];
  const seen = new Set<string>();
  for (const [, value, name] of labels) {
    assert.ok(name! in OP, `OP.${name} does not exist`);
    assert.is(Number(value), (OP as Record<string, number>)[name!], `case ${value} is labelled OP.${name}`);
    seen.add(name!);
  }
  // Every opcode has its case, and no case is unlabelled.
  assert.equal([...seen].sort(), Object.keys(OP).sort());
  assert.is([...SRC.matchAll(/^\s*case [^:]+:/gm)].length, labels.length);
  assert.not.ok(/^\s*case OP\./m.test(SRC));
});

test('the operator-range check compares with the numbers of CMP and IN', () => {
  assert.ok(SRC.includes('op === 0x03 ? nCmp : op === 0x04 ? 2 : nStrop'));
  assert.is(OP.CMP, 0x03);
  assert.is(OP.IN, 0x04);
});

test('the constant reader labels its cases with the numbers of CONST_TAG', () => {
  const reader = readFileSync(fileURLToPath(new URL('../../../runtime/src/pack/body-reader.ts', import.meta.url)), 'utf8');
  const labels = [...reader.matchAll(/case (\d+):(?: \{)? \/\/ CONST_TAG\.(\w+)/g)];
  for (const [, value, name] of labels) assert.is(Number(value), (CONST_TAG as Record<string, number>)[name!], `case ${value} is labelled CONST_TAG.${name}`);
  assert.equal(labels.map((l) => l[2]).sort(), Object.keys(CONST_TAG).sort());
});

test.run();
