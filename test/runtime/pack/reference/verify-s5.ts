/**
 * FROZEN REFERENCE: the session-5 bytecode verifier (commit 69589f4), kept only
 * so that test/runtime/pack/load-equivalence.test.ts can check that the faster
 * verifier gives the same program or the same refusal on every input it tries.
 * Do not edit; do not import outside tests.
 */
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
import type { BodyModel } from '../../../../runtime/src/pack/body-model';
import { BUILTINS, BUILTIN_ANY_MATCH, CMP_NAMES, GLOB_NAMES, LIMITS, OPERANDS, PackError, STROP_NAMES } from '../../../../runtime/src/pack/format';

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

/** A copy of `x` in a typed array of length `n` (≥ x.length). */
function grow<T extends Int32Array | Uint8Array>(x: T, n: number): T {
  const y = new (x.constructor as new (n: number) => T)(n);
  y.set(x);
  return y;
}

/**
 * The refusal for rule `ri` at byte `at` of its function. A plain function,
 * not a closure over the loop's variables: a closure would move them out of
 * registers into a context that every instruction of the pass then reads and
 * writes (issue 15, fresh-process load).
 */
function refusal(ri: number, at: number, why: string): PackError {
  return new PackError(`bytecode of rule ${ri} at +${at}: ${why}`);
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
  // Limits as locals: the pass runs once, in the interpreter, where each
  // \`LIMITS.x\` in the loop is a load per instruction.
  const maxStack = LIMITS.maxStack;
  const maxList = LIMITS.maxListItems;
  const maxArgs = LIMITS.maxCallArgs;
  const nCmp = CMP_NAMES.length;
  const nStrop = STROP_NAMES.length;
  const nGlob = GLOB_NAMES.length;
  // Abstract stack (types).
  const DEPTH = maxStack + 2;
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
              if (sp !== d) throw refusal(ri, pc - start, 'stack types disagree at a join');
              for (let q = 0; q < sp; q++) if (stk[q] !== pendStk[base + q]) throw refusal(ri, pc - start, 'stack types disagree at a join');
            }
            for (let q = 0; q < d; q++) stk[q] = pendStk[base + q]!;
            sp = d;
            live = true;
          } else {
            if (sp !== d) throw refusal(ri, pc - start, 'stack types disagree at a jump target');
            for (let q = 0; q < sp; q++) if (stk[q] !== pendStk[base + q]) throw refusal(ri, pc - start, 'stack types disagree at a jump target');
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
      } else if (pc > next) throw refusal(ri, pc - start, `bad jump target +${next - start}`);
      if (!live) throw refusal(ri, pc - start, 'unreachable instruction');
      const op = code[pc]!;
      const size = SIZE[op]!;
      if (size === 0) throw refusal(ri, pc - start, `unknown opcode 0x${op.toString(16)}`);
      if (pc + size > end) throw refusal(ri, pc - start, 'instruction overruns the function');
      let a = 0;
      let b = 0;
      let pops = 0;
      let popB = false;
      let push = -1;
      // Literal labels (the values of OP, checked by a test): V8's interpreter
      // turns them into one jump table; `case OP.X` labels would be a chain of
      // property loads and compares on every instruction.
      switch (op) {
        case 0x01: // OP.PUSH_CONST
          a = (code[pc + 1]! | (code[pc + 2]! << 8) | (code[pc + 3]! << 16)) + code[pc + 4]! * 0x1000000;
          if (a >= nconst) throw refusal(ri, pc - start, `constant ${a} out of range`);
          constUsed[a] = 1;
          push = V;
          break;
        case 0x02: // OP.LOAD
          a = (code[pc + 1]! | (code[pc + 2]! << 8) | (code[pc + 3]! << 16)) + code[pc + 4]! * 0x1000000;
          if (a >= npath) throw refusal(ri, pc - start, `path ${a} out of range`);
          pathUsed[a] = 1;
          push = V;
          break;
        case 0x03: // OP.CMP
        case 0x04: // OP.IN
        case 0x06: // OP.STROP
          a = code[pc + 1]!;
          if (a >= (op === 0x03 ? nCmp : op === 0x04 ? 2 : nStrop)) throw refusal(ri, pc - start, `bad operator ${a}`);
          pops = 2;
          push = B;
          break;
        case 0x05: // OP.MATCH
        case 0x08: // OP.ANY_MATCH
          a = (code[pc + 1]! | (code[pc + 2]! << 8) | (code[pc + 3]! << 16)) + code[pc + 4]! * 0x1000000;
          if (a >= nre) throw refusal(ri, pc - start, `regex ${a} out of range`);
          reUsed[a] = 1;
          pops = 1;
          push = B;
          break;
        case 0x07: { // OP.CALL
          a = code[pc + 1]!;
          b = code[pc + 2]!;
          const bi = BUILTINS[a];
          if (bi === undefined || a === BUILTIN_ANY_MATCH) throw refusal(ri, pc - start, `bad built-in ${a}`);
          if (b < bi!.min || b > bi!.max || b > maxArgs) throw refusal(ri, pc - start, `bad argument count ${b} for ${bi!.name}`);
          pops = b;
          push = bi!.bool ? B : V;
          called |= 1 << a;
          break;
        }
        case 0x09: // OP.NOT
          pops = 1;
          popB = true;
          push = B;
          break;
        case 0x0a: // OP.TO_BOOL
          pops = 1;
          push = B;
          break;
        case 0x10: // OP.AND
        case 0x11: // OP.OR
          if (sp < 2 || stk[sp - 1] !== B || stk[sp - 2] !== B) throw refusal(ri, pc - start, 'operand is not a boolean');
          pops = 2;
          push = B;
          break;
        case 0x0b: // OP.MAKE_LIST
          a = code[pc + 1]! | (code[pc + 2]! << 8);
          if (a > maxList) throw refusal(ri, pc - start, 'list too long');
          pops = a;
          push = V;
          break;
        case 0x0c: // OP.GLOB
          a = code[pc + 1]!;
          b = (code[pc + 2]! | (code[pc + 3]! << 8) | (code[pc + 4]! << 16)) + code[pc + 5]! * 0x1000000;
          if (a >= nGlob) throw refusal(ri, pc - start, `bad glob kind ${a}`);
          if (b >= nconst || !constIsStr[b]) throw refusal(ri, pc - start, `glob constant ${b} is not a string`);
          constUsed[b] = 1;
          pops = 1;
          push = B;
          break;
        case 0x0d: // OP.AND_JMP
        case 0x0e: { // OP.OR_JMP
          const t = (code[pc + 1]! | (code[pc + 2]! << 8) | (code[pc + 3]! << 16)) + code[pc + 4]! * 0x1000000;
          if (t <= pc - start || t >= end - start) throw refusal(ri, pc - start, `bad jump target +${t}`);
          if (sp === 0 || stk[sp - 1] !== B) throw refusal(ri, pc - start, 'jump on a non-boolean');
          if (npend === pendOff.length) {
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
        case 0x0f: // OP.RET
          if (sp !== 1 || stk[0] !== B) throw refusal(ri, pc - start, 'RET needs exactly one boolean on the stack');
          live = false;
          sp = 0;
          break;
      }
      if (pops > sp) throw refusal(ri, pc - start, 'stack underflow');
      if (popB && stk[sp - 1] !== B) throw refusal(ri, pc - start, 'operand is not a boolean');
      sp -= pops;
      if (push >= 0) {
        stk[sp++] = push;
        if (sp > maxDepth) maxDepth = sp;
        if (sp > maxStack) throw refusal(ri, pc - start, 'stack too deep');
      }
      words[nw] = op;
      words[nw + 1] = a;
      words[nw + 2] = b;
      nw += 3;
      pc += size;
    }
    if (npend > 0) throw refusal(ri, end - start, `bad jump target +${next - start}`);
    if (live) throw new PackError(`bytecode of rule ${ri}: falls off the end without RET`);
    if (maxDepth !== rule.maxStack) throw new PackError(`bytecode of rule ${ri}: stack depth ${maxDepth} differs from the declared ${rule.maxStack}`);
  }
  // Lists keep their items alive.
  for (let i = nconst - 1; i >= 0; i--) {
    const c = m.consts[i]!;
    if (constUsed[i] && c.t === 'list') for (const j of c.items) constUsed[j] = 1;
  }
  // First unused entry of each table: native scans.
  const c0 = constUsed.indexOf(0);
  if (c0 >= 0) throw new PackError(`constant ${c0} is never used`);
  const p0 = pathUsed.indexOf(0);
  if (p0 >= 0) throw new PackError(`path ${p0} is never used`);
  const r0 = reUsed.indexOf(0);
  if (r0 >= 0) throw new PackError(`regex ${r0} is never used`);
  return { words: words.subarray(0, nw), entry, called };
}
