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
}

const V = 0;
const B = 1;

/** Verifies all condition functions of a body and decodes them. Throws PackError. */
export function verifyBytecode(m: BodyModel): Program {
  const code = m.code;
  const nconst = m.consts.length;
  const constUsed = new Uint8Array(nconst);
  const pathUsed = new Uint8Array(m.paths.length);
  const reUsed = new Uint8Array(m.regexes.length);
  // Upper bound on instructions: one per byte.
  const words: number[] = [];
  const entry = new Int32Array(m.rules.length);
  let off = 0;
  for (let ri = 0; ri < m.rules.length; ri++) {
    const rule = m.rules[ri]!;
    const start = off;
    const end = off + rule.codeLen;
    off = end;
    if (rule.codeLen === 0) {
      entry[ri] = -1;
      continue;
    }
    const fail = (pc: number, why: string): never => {
      throw new PackError(`bytecode of rule ${ri} at +${pc - start}: ${why}`);
    };
    // Pass 1: decode instruction boundaries.
    const at: number[] = [];
    const instrIndex = new Map<number, number>();
    for (let pc = start; pc < end; ) {
      const op = code[pc]!;
      const ops = OPERANDS[op];
      if (ops === undefined) fail(pc, `unknown opcode 0x${op.toString(16)}`);
      let size = 1;
      for (const w of ops!) size += w;
      if (pc + size > end) fail(pc, 'instruction overruns the function');
      instrIndex.set(pc - start, at.length);
      at.push(pc);
      pc += size;
    }
    const base = words.length / 3;
    entry[ri] = base;
    // Pass 2: operands, jumps and types.
    const states = new Map<number, number[]>(); // instr index → stack types at entry (from jumps)
    let stack: number[] | null = [];
    let maxDepth = 0;
    const u32 = (p: number): number => (code[p]! | (code[p + 1]! << 8) | (code[p + 2]! << 16)) + code[p + 3]! * 0x1000000;
    const u16 = (p: number): number => code[p]! | (code[p + 1]! << 8);
    const pop = (pc: number, want: number): void => {
      if (stack!.length === 0) fail(pc, 'stack underflow');
      const t = stack!.pop()!;
      if (want === B && t !== B) fail(pc, 'operand is not a boolean');
    };
    const push = (t: number): void => {
      stack!.push(t);
      if (stack!.length > maxDepth) maxDepth = stack!.length;
    };
    for (let ii = 0; ii < at.length; ii++) {
      const pc = at[ii]!;
      const joined = states.get(ii);
      if (joined !== undefined) {
        if (stack !== null && (stack.length !== joined.length || stack.some((t, k) => t !== joined[k]))) fail(pc, 'stack types disagree at a join');
        stack = joined.slice();
      }
      if (stack === null) fail(pc, 'unreachable instruction');
      const op = code[pc]!;
      let a = 0;
      let b = 0;
      switch (op) {
        case OP.PUSH_CONST:
          a = u32(pc + 1);
          if (a >= nconst) fail(pc, `constant ${a} out of range`);
          constUsed[a] = 1;
          push(V);
          break;
        case OP.LOAD:
          a = u32(pc + 1);
          if (a >= m.paths.length) fail(pc, `path ${a} out of range`);
          pathUsed[a] = 1;
          push(V);
          break;
        case OP.CMP:
        case OP.IN:
        case OP.STROP:
          a = code[pc + 1]!;
          if (a >= (op === OP.CMP ? CMP_NAMES.length : op === OP.IN ? 2 : STROP_NAMES.length)) fail(pc, `bad operator ${a}`);
          pop(pc, V);
          pop(pc, V);
          push(B);
          break;
        case OP.MATCH:
        case OP.ANY_MATCH:
          a = u32(pc + 1);
          if (a >= m.regexes.length) fail(pc, `regex ${a} out of range`);
          reUsed[a] = 1;
          pop(pc, V);
          push(B);
          break;
        case OP.CALL: {
          a = code[pc + 1]!;
          b = code[pc + 2]!;
          const bi = BUILTINS[a];
          if (bi === undefined || a === BUILTIN_ANY_MATCH) fail(pc, `bad built-in ${a}`);
          if (b < bi!.min || b > bi!.max || b > LIMITS.maxCallArgs) fail(pc, `bad argument count ${b} for ${bi!.name}`);
          for (let k = 0; k < b; k++) pop(pc, V);
          push(bi!.bool ? B : V);
          break;
        }
        case OP.NOT:
          pop(pc, B);
          push(B);
          break;
        case OP.TO_BOOL:
          pop(pc, V);
          push(B);
          break;
        case OP.MAKE_LIST:
          a = u16(pc + 1);
          if (a > LIMITS.maxListItems) fail(pc, 'list too long');
          for (let k = 0; k < a; k++) pop(pc, V);
          push(V);
          break;
        case OP.GLOB:
          a = code[pc + 1]!;
          b = u32(pc + 2);
          if (a >= GLOB_NAMES.length) fail(pc, `bad glob kind ${a}`);
          if (b >= nconst || m.consts[b]!.t !== 'str') fail(pc, `glob constant ${b} is not a string`);
          constUsed[b] = 1;
          pop(pc, V);
          push(B);
          break;
        case OP.AND_JMP:
        case OP.OR_JMP: {
          const t = u32(pc + 1);
          const ti = instrIndex.get(t);
          if (t <= pc - start || ti === undefined) fail(pc, `bad jump target +${t}`);
          if (stack!.length === 0 || stack![stack!.length - 1] !== B) fail(pc, 'jump on a non-boolean');
          const prev = states.get(ti!);
          if (prev !== undefined && (prev.length !== stack!.length || prev.some((x, k) => x !== stack![k]))) fail(pc, 'stack types disagree at a jump target');
          states.set(ti!, stack!.slice());
          a = base + ti!;
          stack!.pop();
          break;
        }
        case OP.RET:
          if (stack!.length !== 1 || stack![0] !== B) fail(pc, 'RET needs exactly one boolean on the stack');
          stack = null;
          break;
      }
      if (stack !== null && stack.length > LIMITS.maxStack) fail(pc, 'stack too deep');
      words.push(op, a, b);
    }
    if (stack !== null) throw new PackError(`bytecode of rule ${ri}: falls off the end without RET`);
    if (maxDepth !== rule.maxStack) throw new PackError(`bytecode of rule ${ri}: stack depth ${maxDepth} differs from the declared ${rule.maxStack}`);
  }
  // Lists keep their items alive.
  for (let i = nconst - 1; i >= 0; i--) {
    const c = m.consts[i]!;
    if (constUsed[i] && c.t === 'list') for (const j of c.items) constUsed[j] = 1;
  }
  for (let i = 0; i < nconst; i++) if (!constUsed[i]) throw new PackError(`constant ${i} is never used`);
  for (let i = 0; i < m.paths.length; i++) if (!pathUsed[i]) throw new PackError(`path ${i} is never used`);
  for (let i = 0; i < m.regexes.length; i++) if (!reUsed[i]) throw new PackError(`regex ${i} is never used`);
  return { words: Int32Array.from(words), entry };
}
