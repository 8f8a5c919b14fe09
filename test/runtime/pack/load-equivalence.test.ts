/**
 * The body reader and the bytecode verifier were rewritten for speed in a
 * fresh process (issue 15, session 6: fields read as words, one verifier call
 * per rule, per-instruction stack effects). They must decide exactly as
 * before: on every input tried here the new code gives the same model and
 * program, or the same refusal message, as the frozen session-5 copies in
 * `reference/`. Inputs: every single-byte corruption of a small pack that
 * uses every section, corruptions of a realistic stack's body, and random
 * hand-made bytecode that reaches every verifier refusal.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile, emitPackBody } from '@fms/compiler';
import type { BodyModel } from '../../../runtime/src/pack/body-model';
import { readBody, wordsAt } from '../../../runtime/src/pack/body-reader';
import { BODY_HEADER_SIZE, OP, PackError, SECTION_ENTRY_SIZE } from '../../../runtime/src/pack/format';
import { verifyBytecode } from '../../../runtime/src/vm/verify';
import { realisticStack } from '../../bench/realistic';
import { EVERY_SECTION_POLICY, MUTATIONS, scrambleSections, seededRandom } from './every-section';
import { readBody as readBodyS5 } from './reference/body-reader-s5';
import { verifyBytecode as verifyBytecodeS5 } from './reference/verify-s5';

/** A small pack that uses every section and most opcodes. */
const SMALL = emitPackBody(EVERY_SECTION_POLICY);

function realisticBody(rules: number): Uint8Array {
  const r = compile(realisticStack(rules, 64).source, 'governance.fms');
  if (!r.ir) throw new Error('realistic stack does not compile');
  return emitPackBody(r.ir);
}

/** Everything a caller can read of a model and its program, as one string. */
function fingerprint(m: BodyModel, words: Int32Array, entry: Int32Array, called: number): string {
  return JSON.stringify({ ...m, code: Array.from(m.code), reserved: [...m.reserved].map(([t, b]) => [t, Array.from(b)]), ruleLocs: m.ruleLocs, words: Array.from(words), entry: Array.from(entry), called });
}

/** The outcome of reading and verifying `body` with one implementation: a fingerprint or `refused: message`. */
function outcome(body: Uint8Array, read: typeof readBody, verify: typeof verifyBytecode): string {
  try {
    const m = read(body, { checksums: false });
    const p = verify(m);
    return fingerprint(m, p.words, p.entry, p.called);
  } catch (e) {
    assert.ok(e instanceof PackError, `non-PackError ${String(e)}`);
    return `refused: ${(e as Error).message}`;
  }
}

const same = (body: Uint8Array, what: string): boolean => {
  const want = outcome(body, readBodyS5, verifyBytecodeS5);
  const got = outcome(body, readBody, verifyBytecode);
  assert.is(got, want, what);
  return want.startsWith('refused: ');
};

test('the reference and the new loader accept the good bodies identically', () => {
  assert.not.ok(same(SMALL, 'small pack'));
  assert.not.ok(same(realisticBody(40), 'realistic stack'));
});

test('every single-byte corruption of the small pack: same model or same refusal (CRCs off)', () => {
  let refused = 0;
  for (let i = 0; i < SMALL.length; i++) {
    for (const mut of MUTATIONS) {
      const b = SMALL.slice();
      b[i] = mut(b[i]!);
      if (same(b, `byte ${i}`)) refused++;
    }
  }
  assert.ok(refused > SMALL.length, `only ${refused} refused`);
});

test('bodies at every alignment in memory read the same (word views and copies)', () => {
  for (let shift = 0; shift < 4; shift++) {
    const buf = new Uint8Array(SMALL.length + shift);
    buf.set(SMALL, shift);
    assert.not.ok(same(buf.subarray(shift), `shift ${shift}`));
    // A corrupt rule index in an unaligned body is refused the same way.
    const bad = buf.slice();
    bad[shift + SMALL.length - 1] ^= 0xff;
    same(bad.subarray(shift), `shift ${shift}, corrupt`);
  }
});

test('bodies in Node Buffers (pooled memory, every offset) read like plain bytes', () => {
  const big = realisticBody(40);
  for (const body of [SMALL, big]) {
    for (let shift = 0; shift < 4; shift++) {
      // Junk before and after the body in the same memory: a reader that
      // copied with Buffer's \`slice\` (a view) would read the junk.
      const buf = Buffer.allocUnsafe(body.length + 16).fill(0xa5);
      buf.set(body, 4 + shift);
      const view = buf.subarray(4 + shift, 4 + shift + body.length);
      assert.ok(view instanceof Buffer);
      assert.not.ok(same(view, `Buffer at +${shift}`));
      assert.equal(readBody(view).rules, readBody(body).rules);
    }
  }
});

test('the word reader: little-endian values at every alignment, and the big-endian path swaps bytes', () => {
  const bytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);
  const dv = new DataView(bytes.buffer);
  for (let p = 0; p < 8; p++) {
    const le = wordsAt(bytes, p, 8);
    const be = wordsAt(bytes, p, 8, false);
    for (let i = 0; i < 8; i++) {
      assert.is(le[i], dv.getInt32(p + 4 * i, true), `LE word ${i} at ${p}`);
      // On this (little-endian) machine the swapped copy reads as the big-endian value.
      assert.is(be[i], dv.getInt32(p + 4 * i, false), `BE word ${i} at ${p}`);
    }
  }
});

test('corruptions of a realistic body: single bytes and runs of random bytes (CRCs fixed up), same outcome', () => {
  const body = realisticBody(40);
  const rnd = seededRandom(615);
  let refused = 0;
  for (let t = 0; t < 3000; t++) {
    const b = body.slice();
    if (t < 1500) {
      const i = rnd(b.length);
      b[i] = MUTATIONS[t & 3]!(b[i]!);
    } else scrambleSections(b, 1 + rnd(6), rnd);
    if (same(b, `trial ${t}`)) refused++;
  }
  assert.ok(refused > 1000, `only ${refused} refused`);
});

test('number constants: NaN, infinities and -0 refused with the same message, finite ones kept', () => {
  const view = new DataView(SMALL.buffer, SMALL.byteOffset, SMALL.byteLength);
  const nsec = view.getUint16(6, true);
  let at = -1;
  for (let k = 0; k < nsec; k++) {
    const e = BODY_HEADER_SIZE + k * SECTION_ENTRY_SIZE;
    if (view.getUint16(e, true) !== 0x03) continue;
    // CONSTS: u32 n, then tagged items; find the first number (tag 3).
    let p = view.getUint32(e + 4, true) + 4;
    for (;;) {
      const tag = SMALL[p]!;
      if (tag === 3) break;
      p += tag === 4 ? 5 : tag === 5 ? 5 + 4 * view.getUint32(p + 1, true) : 1;
    }
    at = p + 1;
  }
  assert.ok(at > 0, 'no number constant');
  for (const v of [NaN, Infinity, -Infinity, -0, 0, 1e300, -2.5, Number.MIN_VALUE]) {
    const b = SMALL.slice();
    new DataView(b.buffer).setFloat64(at, v, true);
    assert.is(same(b, `constant ${v}`), !Number.isFinite(v) || Object.is(v, -0), String(v));
  }
});

/**
 * Random functions over a small alphabet of instructions (valid and invalid
 * operands, jumps, every opcode and some unknown ones), each the only rule of
 * a model, with a random declared depth: the verifiers must agree on all of
 * them, and between them they must reach every refusal the verifier has.
 */
test('random bytecode: same program or same refusal, every refusal reached', () => {
  const base = readBody(SMALL);
  const nconst = base.consts.length;
  const npath = base.paths.length;
  const nre = base.regexes.length;
  let seed = 20261130;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  const pick = (n: number): number => (rnd(8) === 0 ? n + rnd(3) : rnd(n));
  const instr = (at: number, len: number): number[] => {
    switch (rnd(20)) {
      case 0:
      case 1:
        return [OP.PUSH_CONST, ...u32(pick(nconst))];
      case 2:
      case 3:
        return [OP.LOAD, ...u32(pick(npath))];
      case 4:
        return [OP.CMP, rnd(8)];
      case 5:
        return [[OP.IN, OP.STROP][rnd(2)]!, rnd(5)];
      case 6:
        return [[OP.MATCH, OP.ANY_MATCH][rnd(2)]!, ...u32(pick(nre))];
      case 7:
        return [OP.CALL, rnd(13), rnd(4)];
      case 8:
        return [OP.NOT];
      case 9:
        return [OP.TO_BOOL];
      case 10:
      case 11:
        return [[OP.AND, OP.OR][rnd(2)]!];
      case 12:
        return [OP.MAKE_LIST, rnd(4), rnd(16) === 0 ? 0xff : 0];
      case 13:
        return [OP.GLOB, rnd(5), ...u32(pick(nconst))];
      case 14:
      case 15:
        return [[OP.AND_JMP, OP.OR_JMP][rnd(2)]!, ...u32(rnd(4) === 0 ? rnd(len + 4) : Math.min(len - 1, at + 5 + rnd(12)))];
      case 16:
        return [OP.RET];
      case 17:
        return [rnd(4) === 0 ? 0 : 0x12 + rnd(200)];
      default:
        return [OP.TO_BOOL];
    }
  };
  const reasons = new Map<string, number>();
  const LOAD0 = [OP.LOAD, 0, 0, 0, 0];
  // Hand-made cases random code does not reach: too deep a stack, two jumps
  // that disagree at their target, and the emitter's own output.
  const cases: number[][] = [
    [...Array.from({ length: 65 }, () => LOAD0).flat(), OP.RET],
    [...LOAD0, ...LOAD0, OP.CMP, 0, ...LOAD0, ...LOAD0, OP.CMP, 0, OP.OR_JMP, 41, 0, 0, 0, OP.OR_JMP, 41, 0, 0, 0, ...LOAD0, OP.TO_BOOL, OP.RET, OP.AND, OP.RET],
    Array.from(base.code),
  ];
  for (let t = 0; t < 30_000 + cases.length; t++) {
    let code: number[] = [];
    if (t < cases.length) code = cases[t]!;
    else {
      const target = 1 + rnd(40);
      while (code.length < target) code.push(...instr(code.length, target + 6));
      if (rnd(3) > 0) code.push(OP.RET);
      if (rnd(10) === 0) code.length = Math.max(1, code.length - 1 - rnd(3));
    }
    const rules = [{ ...base.rules[0]!, codeLen: code.length, maxStack: 1 + rnd(4) }];
    // Two rules sometimes: the second starts where the first ends.
    if (rnd(4) === 0) rules.push({ ...base.rules[0]!, codeLen: 0, maxStack: 0 }, { ...rules[0]! });
    const all = rules.length === 1 ? code : [...code, ...code];
    const m: BodyModel = { ...base, rules, code: Uint8Array.from(all) };
    const run = (v: typeof verifyBytecode): string => {
      try {
        const p = v(m);
        return `ok ${Array.from(p.words).join(',')} | ${Array.from(p.entry).join(',')} | ${p.called}`;
      } catch (e) {
        assert.ok(e instanceof PackError, `non-PackError ${String(e)}`);
        return (e as Error).message;
      }
    };
    const want = run(verifyBytecodeS5);
    assert.is(run(verifyBytecode), want, `code ${JSON.stringify(all)} depth ${rules[0]!.maxStack}`);
    const why = want.startsWith('ok ')
      ? 'ok'
      : want
          .replace(/^bytecode of rule \d+( at \+\d+)?: /, '')
          .replace(/0x[0-9a-f]+/, 'OP')
          .replace(/\d+/g, 'N')
          .replace(/ for \w+$/, ' for F');
    reasons.set(why, (reasons.get(why) ?? 0) + 1);
  }
  const expected = [
    'unknown opcode OP',
    'instruction overruns the function',
    'constant N out of range',
    'path N out of range',
    'bad operator N',
    'regex N out of range',
    'bad built-in N',
    'bad argument count N for F',
    'operand is not a boolean',
    'bad glob kind N',
    'glob constant N is not a string',
    'bad jump target +N',
    'jump on a non-boolean',
    'RET needs exactly one boolean on the stack',
    'stack underflow',
    'stack types disagree at a join',
    'stack types disagree at a jump target',
    'stack too deep',
    'unreachable instruction',
    'falls off the end without RET',
    'stack depth N differs from the declared N',
    'constant N is never used',
  ];
  for (const r of expected) assert.ok(reasons.has(r), `no input reached \`${r}\`: ${JSON.stringify([...reasons.keys()])}`);
});

test.run();
