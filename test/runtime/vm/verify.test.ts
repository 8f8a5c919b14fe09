/**
 * The bytecode verifier on hand-made functions: each case changes one thing in
 * a known-good function and names the refusal it must produce.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emitPackBody } from '@fms/compiler';
import type { BodyModel } from '../../../runtime/src/pack/body-model';
import { readBody } from '../../../runtime/src/pack/body-reader';
import { OP, PackError } from '../../../runtime/src/pack/format';
import { verifyBytecode } from '../../../runtime/src/vm/verify';
import { E, agent, policy, rule } from '../../helpers/ir-builder';

// `args.a == 1 or args.b == 2`. The emitter writes it with the three-valued OR
// (both sides evaluated, so a type error on either side is seen):
//   0 LOAD 0 | 5 PUSH_CONST 0 | 10 CMP == | 12 LOAD 1 | 17 PUSH_CONST 1 | 22 CMP == | 24 OR | 25 RET
// The cases below use the short-circuit form, which the format still defines
// and the verifier still checks (jumps):
//   0 LOAD 0 | 5 PUSH_CONST 0 | 10 CMP == | 12 OR_JMP +29 | 17 LOAD 1 | 22 PUSH_CONST 1 | 27 CMP == | 29 RET
const EMITTED = readBody(emitPackBody(policy(agent('a', [rule('permit', 'x', { line: 3, when: E.or(E.cmp('==', E.args('a'), E.lit(1)), E.cmp('==', E.args('b'), E.lit(2))) })]))));
const JUMPING = [2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 3, 0, 14, 29, 0, 0, 0, 2, 1, 0, 0, 0, 1, 1, 0, 0, 0, 3, 0, 15];
const GOOD: BodyModel = { ...EMITTED, code: Uint8Array.from(JUMPING), rules: [{ ...EMITTED.rules[0]!, codeLen: JUMPING.length, maxStack: 2 }] };

test('the reference function is what these cases assume', () => {
  assert.equal([...EMITTED.code], [2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 3, 0, 2, 1, 0, 0, 0, 1, 1, 0, 0, 0, 3, 0, OP.OR, 15]);
  assert.is(EMITTED.rules[0]!.maxStack, 3);
  verifyBytecode(EMITTED);
  const prog = verifyBytecode(GOOD);
  assert.is(prog.entry[0], 0);
  // The jump operand is decoded to the index of its target instruction (RET is the 8th).
  assert.equal([...prog.words.subarray(9, 12)], [OP.OR_JMP, 7, 0]);
});

test('AND / OR need two booleans', () => {
  // LOAD 0 | LOAD 1 | OR | RET: two values, not booleans.
  const bad = [2, 0, 0, 0, 0, 2, 1, 0, 0, 0, OP.OR, 15];
  refuses({ ...EMITTED, code: Uint8Array.from(bad), rules: [{ ...EMITTED.rules[0]!, codeLen: bad.length, maxStack: 2 }] }, /operand is not a boolean/);
  // CMP | OR with one boolean on the stack.
  const one = [2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 3, 0, OP.AND, 15];
  refuses({ ...EMITTED, code: Uint8Array.from(one), rules: [{ ...EMITTED.rules[0]!, codeLen: one.length, maxStack: 2 }] }, /operand is not a boolean/);
});

/** The reference model with its code replaced (and optionally its declared stack depth). */
function withCode(bytes: number[], maxStack = GOOD.rules[0]!.maxStack): BodyModel {
  return { ...GOOD, code: Uint8Array.from(bytes), rules: [{ ...GOOD.rules[0]!, codeLen: bytes.length, maxStack }] };
}

function refuses(m: BodyModel, why: RegExp): void {
  try {
    verifyBytecode(m);
  } catch (e) {
    assert.ok(e instanceof PackError, `not a PackError: ${String(e)}`);
    assert.match((e as Error).message, why);
    return;
  }
  assert.unreachable(`accepted; expected ${why}`);
}

const jumpTo = (t: number): number[] => {
  const c = [...GOOD.code];
  c[13] = t;
  return c;
};

test('jump targets: inside an instruction, at the end, onto itself, backwards', () => {
  refuses(withCode(jumpTo(28)), /bad jump target \+28/);
  refuses(withCode(jumpTo(18)), /bad jump target \+18/);
  refuses(withCode(jumpTo(30)), /bad jump target \+30/);
  refuses(withCode(jumpTo(12)), /bad jump target \+12/);
  refuses(withCode(jumpTo(5)), /bad jump target \+5/);
  const far = [...GOOD.code];
  far[16] = 0x80; // +0x80000000 + 29
  refuses(withCode(far), /bad jump target/);
});

test('stack types must agree where a jump lands', () => {
  // Landing on PUSH_CONST 1 (offset 22): the jump carries [B], the fall-through [V].
  refuses(withCode(jumpTo(22)), /stack types disagree/);
  // Landing on CMP (offset 27): the jump carries one value, the fall-through two.
  refuses(withCode(jumpTo(27)), /stack types disagree/);
});

test('opcodes, operands and the end of the function', () => {
  const c = [...GOOD.code];
  c[17] = 0xff;
  refuses(withCode(c), /unknown opcode 0xff/);
  refuses(withCode([...GOOD.code.subarray(0, 8)]), /at \+5: instruction overruns the function/);
  const noRet = [...GOOD.code.subarray(0, 29)];
  refuses(withCode(noRet), /bad jump target \+29|falls off the end/);
  const badConst = [...GOOD.code];
  badConst[6] = 9;
  refuses(withCode(badConst), /constant 9 out of range/);
  const badPath = [...GOOD.code];
  badPath[1] = 7;
  refuses(withCode(badPath), /path 7 out of range/);
  const badCmp = [...GOOD.code];
  badCmp[11] = 40;
  refuses(withCode(badCmp), /bad operator 40/);
});

test('declared stack depth, RET discipline and unreachable code', () => {
  refuses(withCode([...GOOD.code], 3), /stack depth 2 differs from the declared 3/);
  // RET with two values on the stack.
  refuses(withCode([2, 0, 0, 0, 0, 2, 1, 0, 0, 0, 15], 2), /RET needs exactly one boolean/);
  // RET on a plain value (LOAD then RET).
  refuses(withCode([2, 0, 0, 0, 0, 15], 1), /RET needs exactly one boolean/);
  // An instruction after RET that no jump reaches.
  refuses(withCode([...GOOD.code, 15]), /unreachable instruction/);
  // NOT on a value.
  refuses(withCode([2, 0, 0, 0, 0, 9, 15], 1), /operand is not a boolean/);
  // CMP with one operand.
  refuses(withCode([2, 0, 0, 0, 0, 3, 0, 15], 1), /stack underflow/);
});

test('many jumps to one target are all patched', () => {
  const m = readBody(
    emitPackBody(
      policy(
        agent('a', [
          rule('permit', 'x', {
            line: 3,
            when: E.or(E.cmp('==', E.args('a'), E.lit(1)), E.or(E.cmp('==', E.args('b'), E.lit(2)), E.and(E.cmp('==', E.args('c'), E.lit(3)), E.cmp('<', E.args('d'), E.lit(4))))),
          }),
        ]),
      ),
    ),
  );
  const prog = verifyBytecode(m);
  const n = prog.words.length / 3;
  for (let i = 0; i < n; i++) {
    const op = prog.words[i * 3]!;
    if (op === OP.AND_JMP || op === OP.OR_JMP) {
      const t = prog.words[i * 3 + 1]!;
      assert.ok(t > i && t < n, `jump ${i} → ${t}`);
    }
  }
  assert.is(prog.words[(n - 1) * 3], OP.RET);
});

test.run();
