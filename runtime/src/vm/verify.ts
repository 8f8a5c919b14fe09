/**
 * The bytecode verifier. Run once at load, before any evaluation:
 * - every opcode known, every operand in range (constants, paths, regexes,
 *   enums, built-in arity), GLOB constants are strings;
 * - jumps strictly forward, inside the function, on an instruction boundary
 *   (evaluation terminates);
 * - abstract interpretation over operand types (V value, B bool-or-error):
 *   every op finds the types it needs, states agree where paths join,
 *   no unreachable code, every path ends in RET with exactly one B;
 * - the maximum stack depth equals the rule's declared depth (≤ LIMITS.maxStack);
 * - every constant, path and regex is used (the emitter writes no dead entries).
 *
 * It returns the bytecode decoded into a flat program the evaluator runs
 * without further checks.
 */
import type { BodyModel } from '../pack/body-model';
import { BUILTINS, BUILTIN_ANY_MATCH, CMP_NAMES, GLOB_NAMES, LIMITS, OP, OPERANDS, PackError, STROP_NAMES } from '../pack/format';

/** Decoded program: 3 words per instruction (op, a, b); jump operands are absolute instruction indices. */
export interface Program {
  words: Int32Array;
  /** Per rule: index of its first instruction, or -1 when it has no condition. */
  entry: Int32Array;
  /** Bit i set when some CALL names built-in i. */
  called: number;
}

const V = 0;
const B = 1;

/** Instruction size in bytes per opcode (0 = invalid opcode), from OPERANDS. */
const SIZE = new Uint8Array(256);
for (let op = 0; op < 256; op++) {
  const ops = OPERANDS[op];
  if (ops !== undefined) SIZE[op] = 1 + ops.reduce((x, y) => x + y, 0);
}

/**
 * Verifies all condition functions of a body and decodes them, in one pass
 * over the bytes. Jumps are forward only, so a jump's target is still ahead:
 * it is recorded as pending (offset, stack types, word to patch) and settled
 * when the pass reaches an instruction at that offset. A pending target the
 * pass steps over (inside an instruction) or never reaches is refused.
 * Throws PackError.
 */
export function verifyBytecode(m: BodyModel): Program {
  const code = m.code;
  const nconst = m.consts.length;
  const npath = m.paths.length;
  const nre = m.regexes.length;
  const constUsed = new Uint8Array(nconst);
  const pathUsed = new Uint8Array(npath);
  const reUsed = new Uint8Array(nre);
  const constIsStr = new Uint8Array(nconst);
  for (let i = 0; i < nconst; i++) constIsStr[i] = m.consts[i]!.t === 'str' ? 1 : 0;
  // Every instruction takes at least one byte: 3 words per byte is enough.
  const words = new Int32Array(3 * code.length);
  let nw = 0;
  const entry = new Int32Array(m.rules.length);
  // Abstract stack (types).
  const DEPTH = LIMITS.maxStack + 2;
  const stk = new Uint8Array(DEPTH);
  // Pending jump targets of the current function: absolute byte offset, the
  // word that takes the target's instruction index, stack depth and types.
  let pendOff = new Int32Array(16);
  let pendWord = new Int32Array(16);
  let pendSp = new Uint8Array(16);
  let pendStk = new Uint8Array(16 * DEPTH);
  let npend = 0;
  let called = 0;
  let ri = 0;
  let start = 0;
  let pcNow = 0;
  const fail = (why: string): never => {
    throw new PackError(`bytecode of rule ${ri} at +${pcNow - start}: ${why}`);
  };
  let off = 0;
  for (ri = 0; ri < m.rules.length; ri++) {
    const rule = m.rules[ri]!;
    start = off;
    const end = off + rule.codeLen;
    off = end;
    if (rule.codeLen === 0) {
      entry[ri] = -1;
      continue;
    }
    entry[ri] = nw / 3;
    npend = 0;
    // Smallest pending target offset (end when none).
    let next = end;
    let sp = 0;
    let live = true;
    let maxDepth = 0;
    for (let pc = start; pc < end; ) {
      pcNow = pc;
      if (pc === next) {
        // Settle every jump to this instruction: same stack types from each
        // jump (and from the fall-through when live).
        const ii = nw / 3;
        let first = -1;
        let newNext = end;
        let k = 0;
        while (k < npend) {
          const o = pendOff[k]!;
          if (o !== pc) {
            if (o < newNext) newNext = o;
            k++;
            continue;
          }
          const d = pendSp[k]!;
          const base = k * DEPTH;
          if (first < 0) {
            first = k;
            if (live) {
              if (sp !== d) fail('stack types disagree at a join');
              for (let q = 0; q < sp; q++) if (stk[q] !== pendStk[base + q]) fail('stack types disagree at a join');
            }
            for (let q = 0; q < d; q++) stk[q] = pendStk[base + q]!;
            sp = d;
            live = true;
          } else {
            if (sp !== d) fail('stack types disagree at a jump target');
            for (let q = 0; q < sp; q++) if (stk[q] !== pendStk[base + q]) fail('stack types disagree at a jump target');
          }
          words[pendWord[k]!] = ii;
          // Remove entry k (swap with the last).
          npend--;
          pendOff[k] = pendOff[npend]!;
          pendWord[k] = pendWord[npend]!;
          pendSp[k] = pendSp[npend]!;
          pendStk.copyWithin(base, npend * DEPTH, npend * DEPTH + DEPTH);
        }
        next = newNext;
      } else if (pc > next) fail(`bad jump target +${next - start}`);
      if (!live) fail('unreachable instruction');
      const op = code[pc]!;
      const size = SIZE[op]!;
      if (size === 0) fail(`unknown opcode 0x${op.toString(16)}`);
      if (pc + size > end) fail('instruction overruns the function');
      let a = 0;
      let b = 0;
      let pops = 0;
      let popB = false;
      let push = -1;
      switch (op) {
        case OP.PUSH_CONST:
          a = (code[pc + 1]! | (code[pc + 2]! << 8) | (code[pc + 3]! << 16)) + code[pc + 4]! * 0x1000000;
          if (a >= nconst) fail(`constant ${a} out of range`);
          constUsed[a] = 1;
          push = V;
          break;
        case OP.LOAD:
          a = (code[pc + 1]! | (code[pc + 2]! << 8) | (code[pc + 3]! << 16)) + code[pc + 4]! * 0x1000000;
          if (a >= npath) fail(`path ${a} out of range`);
          pathUsed[a] = 1;
          push = V;
          break;
        case OP.CMP:
        case OP.IN:
        case OP.STROP:
          a = code[pc + 1]!;
          if (a >= (op === OP.CMP ? CMP_NAMES.length : op === OP.IN ? 2 : STROP_NAMES.length)) fail(`bad operator ${a}`);
          pops = 2;
          push = B;
          break;
        case OP.MATCH:
        case OP.ANY_MATCH:
          a = (code[pc + 1]! | (code[pc + 2]! << 8) | (code[pc + 3]! << 16)) + code[pc + 4]! * 0x1000000;
          if (a >= nre) fail(`regex ${a} out of range`);
          reUsed[a] = 1;
          pops = 1;
          push = B;
          break;
        case OP.CALL: {
          a = code[pc + 1]!;
          b = code[pc + 2]!;
          const bi = BUILTINS[a];
          if (bi === undefined || a === BUILTIN_ANY_MATCH) fail(`bad built-in ${a}`);
          if (b < bi!.min || b > bi!.max || b > LIMITS.maxCallArgs) fail(`bad argument count ${b} for ${bi!.name}`);
          pops = b;
          push = bi!.bool ? B : V;
          called |= 1 << a;
          break;
        }
        case OP.NOT:
          pops = 1;
          popB = true;
          push = B;
          break;
        case OP.TO_BOOL:
          pops = 1;
          push = B;
          break;
        case OP.AND:
        case OP.OR:
          if (sp < 2 || stk[sp - 1] !== B || stk[sp - 2] !== B) fail('operand is not a boolean');
          pops = 2;
          push = B;
          break;
        case OP.MAKE_LIST:
          a = code[pc + 1]! | (code[pc + 2]! << 8);
          if (a > LIMITS.maxListItems) fail('list too long');
          pops = a;
          push = V;
          break;
        case OP.GLOB:
          a = code[pc + 1]!;
          b = (code[pc + 2]! | (code[pc + 3]! << 8) | (code[pc + 4]! << 16)) + code[pc + 5]! * 0x1000000;
          if (a >= GLOB_NAMES.length) fail(`bad glob kind ${a}`);
          if (b >= nconst || !constIsStr[b]) fail(`glob constant ${b} is not a string`);
          constUsed[b] = 1;
          pops = 1;
          push = B;
          break;
        case OP.AND_JMP:
        case OP.OR_JMP: {
          const t = (code[pc + 1]! | (code[pc + 2]! << 8) | (code[pc + 3]! << 16)) + code[pc + 4]! * 0x1000000;
          if (t <= pc - start || t >= end - start) fail(`bad jump target +${t}`);
          if (sp === 0 || stk[sp - 1] !== B) fail('jump on a non-boolean');
          if (npend === pendOff.length) {
            const grow = <T extends Int32Array | Uint8Array>(x: T, n: number): T => {
              const y = new (x.constructor as new (n: number) => T)(n);
              y.set(x);
              return y;
            };
            pendOff = grow(pendOff, npend * 2);
            pendWord = grow(pendWord, npend * 2);
            pendSp = grow(pendSp, npend * 2);
            pendStk = grow(pendStk, npend * 2 * DEPTH);
          }
          const target = start + t;
          pendOff[npend] = target;
          pendWord[npend] = nw + 1;
          pendSp[npend] = sp;
          for (let q = 0; q < sp; q++) pendStk[npend * DEPTH + q] = stk[q]!;
          npend++;
          if (target < next) next = target;
          sp--;
          break;
        }
        case OP.RET:
          if (sp !== 1 || stk[0] !== B) fail('RET needs exactly one boolean on the stack');
          live = false;
          sp = 0;
          break;
      }
      if (pops > sp) fail('stack underflow');
      if (popB && stk[sp - 1] !== B) fail('operand is not a boolean');
      sp -= pops;
      if (push >= 0) {
        stk[sp++] = push;
        if (sp > maxDepth) maxDepth = sp;
        if (sp > LIMITS.maxStack) fail('stack too deep');
      }
      words[nw++] = op;
      words[nw++] = a;
      words[nw++] = b;
      pc += size;
    }
    pcNow = end;
    if (npend > 0) fail(`bad jump target +${next - start}`);
    if (live) throw new PackError(`bytecode of rule ${ri}: falls off the end without RET`);
    if (maxDepth !== rule.maxStack) throw new PackError(`bytecode of rule ${ri}: stack depth ${maxDepth} differs from the declared ${rule.maxStack}`);
  }
  // Lists keep their items alive.
  for (let i = nconst - 1; i >= 0; i--) {
    const c = m.consts[i]!;
    if (constUsed[i] && c.t === 'list') for (const j of c.items) constUsed[j] = 1;
  }
  for (let i = 0; i < nconst; i++) if (!constUsed[i]) throw new PackError(`constant ${i} is never used`);
  for (let i = 0; i < npath; i++) if (!pathUsed[i]) throw new PackError(`path ${i} is never used`);
  for (let i = 0; i < nre; i++) if (!reUsed[i]) throw new PackError(`regex ${i} is never used`);
  return { words: words.subarray(0, nw), entry, called };
}
