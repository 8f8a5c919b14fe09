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
import { BUILTINS, BUILTIN_ANY_MATCH, CMP_NAMES, GLOB_NAMES, LIMITS, OPERANDS, PackError, STROP_NAMES } from '../pack/format';

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
 * The rarely used state of a pass: the built-ins called, and the pending jump
 * targets of the current function (absolute byte offset, the word that takes
 * the target's instruction index, stack depth and types). The compiler emits
 * no jumps, so a pass over its output touches this only for CALL.
 */
interface Pass {
  called: number;
  /** Stack depth after `settle`. */
  sp: number;
  npend: number;
  pendOff: Int32Array;
  pendWord: Int32Array;
  pendSp: Uint8Array;
  pendStk: Uint8Array;
}

/** Size of the abstract stack: room for one push beyond the limit (refused). */
const DEPTH = LIMITS.maxStack + 2;

/**
 * Verifies all condition functions of a body and decodes them, in one pass
 * over the bytes. Jumps are forward only, so a jump's target is still ahead:
 * it is recorded as pending (offset, stack types, word to patch) and settled
 * when the pass reaches an instruction at that offset. A pending target the
 * pass steps over (inside an instruction) or never reaches is refused.
 * Throws PackError.
 *
 * Each rule's function is checked by its own call of `verifyFunction`. This
 * runs once per process, in V8's interpreter; when one call looped over every
 * rule's instructions, it ran long enough for V8 to compile it with TurboFan
 * while it was on the stack (on-stack replacement), which in most fresh
 * processes cost the load several milliseconds more than it saved (issue 15,
 * fresh-process load). A call per rule returns long before that.
 */
export function verifyBytecode(m: BodyModel): Program {
  const code = m.code;
  const consts = m.consts;
  const nconst = consts.length;
  const npath = m.paths.length;
  const nre = m.regexes.length;
  const constUsed = new Uint8Array(nconst);
  const pathUsed = new Uint8Array(npath);
  const reUsed = new Uint8Array(nre);
  const constIsStr = new Uint8Array(nconst);
  for (let i = 0; i < nconst; i++) if (consts[i]!.t === 'str') constIsStr[i] = 1;
  // Every instruction takes at least one byte, so a function of n bytes
  // needs at most 3n words; most instructions take 2-6 bytes, so this starts
  // at one word per byte and grows (rarely) before a function that might not fit.
  let words = new Int32Array(code.length + 64);
  const rules = m.rules;
  const nrule = rules.length;
  const entry = new Int32Array(nrule);
  // Abstract stack (types), shared by the functions.
  const stk = new Uint8Array(DEPTH);
  const pass: Pass = { called: 0, sp: 0, npend: 0, pendOff: new Int32Array(16), pendWord: new Int32Array(16), pendSp: new Uint8Array(16), pendStk: new Uint8Array(16 * DEPTH) };
  let nw = 0;
  let off = 0;
  for (let ri = 0; ri < nrule; ri++) {
    const rule = rules[ri]!;
    const len = rule.codeLen;
    if (len === 0) {
      entry[ri] = -1;
      continue;
    }
    entry[ri] = nw / 3;
    if (nw + 3 * len > words.length) words = grow(words, Math.max(2 * words.length, nw + 3 * len));
    nw = verifyFunction(code, off, off + len, ri, rule.maxStack, words, nw, stk, constUsed, pathUsed, reUsed, constIsStr, nconst, npath, nre, pass);
    off += len;
  }
  // Lists keep their items alive.
  for (let i = nconst - 1; i >= 0; i--) {
    const c = consts[i]!;
    if (constUsed[i] && c.t === 'list') {
      const items = c.items;
      for (let k = 0; k < items.length; k++) constUsed[items[k]!] = 1;
    }
  }
  // First unused entry of each table: native scans.
  const c0 = constUsed.indexOf(0);
  if (c0 >= 0) throw new PackError(`constant ${c0} is never used`);
  const p0 = pathUsed.indexOf(0);
  if (p0 >= 0) throw new PackError(`path ${p0} is never used`);
  const r0 = reUsed.indexOf(0);
  if (r0 >= 0) throw new PackError(`regex ${r0} is never used`);
  return { words: words.subarray(0, nw), entry, called: pass.called };
}

/** Records a pending jump to `target` whose operand is word `word`, with the current stack. */
function addPending(pass: Pass, target: number, word: number, stk: Uint8Array, sp: number): void {
  let n = pass.npend;
  if (n === pass.pendOff.length) {
    pass.pendOff = grow(pass.pendOff, n * 2);
    pass.pendWord = grow(pass.pendWord, n * 2);
    pass.pendSp = grow(pass.pendSp, n * 2);
    pass.pendStk = grow(pass.pendStk, n * 2 * DEPTH);
  }
  pass.pendOff[n] = target;
  pass.pendWord[n] = word;
  pass.pendSp[n] = sp;
  const pendStk = pass.pendStk;
  for (let q = 0; q < sp; q++) pendStk[n * DEPTH + q] = stk[q]!;
  pass.npend = ++n;
}

/**
 * Settles every pending jump to the instruction at `pc` (instruction index
 * `ii`): each jump brings the same stack types (and so does the fall-through
 * when `live`). Leaves the stack in `stk` and its depth in `pass.sp`, patches
 * the jumps' words, and returns the next pending target (`end` when none).
 * Out of `verifyFunction`, which the compiler's output (no jumps) never needs:
 * V8 compiles that hot function in the background, and its size is the cost.
 */
function settle(pass: Pass, pc: number, start: number, end: number, ri: number, stk: Uint8Array, sp: number, live: boolean, words: Int32Array, ii: number): number {
  const pendOff = pass.pendOff;
  const pendWord = pass.pendWord;
  const pendSp = pass.pendSp;
  const pendStk = pass.pendStk;
  let npend = pass.npend;
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
  pass.npend = npend;
  pass.sp = sp;
  return newNext;
}

/**
 * Verifies and decodes rule `ri`'s function, bytes [start, end) of `code`,
 * writing its words from word `nw`; returns the next free word. Each case does
 * its own stack effect, with the checks in the same order as always (operands,
 * underflow, operand types, depth), so an instruction runs only what it needs.
 */
function verifyFunction(
  code: Uint8Array,
  start: number,
  end: number,
  ri: number,
  declared: number,
  words: Int32Array,
  nw: number,
  stk: Uint8Array,
  constUsed: Uint8Array,
  pathUsed: Uint8Array,
  reUsed: Uint8Array,
  constIsStr: Uint8Array,
  nconst: number,
  npath: number,
  nre: number,
  pass: Pass,
): number {
  const size = SIZE;
  const maxStack = LIMITS.maxStack;
  const nCmp = CMP_NAMES.length;
  const nStrop = STROP_NAMES.length;
  // Smallest pending target offset (end when none).
  let next = end;
  let sp = 0;
  let live = true;
  let maxDepth = 0;
  pass.npend = 0;
  for (let pc = start; pc < end; ) {
    if (pc >= next) {
      if (pc > next) throw refusal(ri, pc - start, `bad jump target +${next - start}`);
      // Only code with jumps gets here (next < end); the settled stack is in
      // stk, its depth in pass.sp.
      next = settle(pass, pc, start, end, ri, stk, sp, live, words, nw / 3);
      sp = pass.sp;
      live = true;
    }
    if (!live) throw refusal(ri, pc - start, 'unreachable instruction');
    const op = code[pc]!;
    const sz = size[op]!;
    if (sz === 0) throw refusal(ri, pc - start, `unknown opcode 0x${op.toString(16)}`);
    if (pc + sz > end) throw refusal(ri, pc - start, 'instruction overruns the function');
    let a = 0;
    let b = 0;
    // Literal labels (the values of OP, checked by a test): V8's interpreter
    // turns them into one jump table; `case OP.X` labels would be a chain of
    // property loads and compares on every instruction. A push checks the
    // depth; a pop needs no check of it (the stack only shrinks).
    switch (op) {
      case 0x01: // OP.PUSH_CONST
        a = (code[pc + 1]! | (code[pc + 2]! << 8) | (code[pc + 3]! << 16)) + code[pc + 4]! * 0x1000000;
        if (a >= nconst) throw refusal(ri, pc - start, `constant ${a} out of range`);
        constUsed[a] = 1;
        stk[sp++] = V;
        if (sp > maxDepth) {
          maxDepth = sp;
          if (sp > maxStack) throw refusal(ri, pc - start, 'stack too deep');
        }
        break;
      case 0x02: // OP.LOAD
        a = (code[pc + 1]! | (code[pc + 2]! << 8) | (code[pc + 3]! << 16)) + code[pc + 4]! * 0x1000000;
        if (a >= npath) throw refusal(ri, pc - start, `path ${a} out of range`);
        pathUsed[a] = 1;
        stk[sp++] = V;
        if (sp > maxDepth) {
          maxDepth = sp;
          if (sp > maxStack) throw refusal(ri, pc - start, 'stack too deep');
        }
        break;
      case 0x03: // OP.CMP
      case 0x04: // OP.IN
      case 0x06: // OP.STROP
        a = code[pc + 1]!;
        if (a >= (op === 0x03 ? nCmp : op === 0x04 ? 2 : nStrop)) throw refusal(ri, pc - start, `bad operator ${a}`);
        if (sp < 2) throw refusal(ri, pc - start, 'stack underflow');
        stk[--sp - 1] = B;
        break;
      case 0x05: // OP.MATCH
      case 0x08: // OP.ANY_MATCH
        a = (code[pc + 1]! | (code[pc + 2]! << 8) | (code[pc + 3]! << 16)) + code[pc + 4]! * 0x1000000;
        if (a >= nre) throw refusal(ri, pc - start, `regex ${a} out of range`);
        reUsed[a] = 1;
        if (sp < 1) throw refusal(ri, pc - start, 'stack underflow');
        stk[sp - 1] = B;
        break;
      case 0x07: { // OP.CALL
        a = code[pc + 1]!;
        b = code[pc + 2]!;
        const bi = BUILTINS[a];
        if (bi === undefined || a === BUILTIN_ANY_MATCH) throw refusal(ri, pc - start, `bad built-in ${a}`);
        if (b < bi.min || b > bi.max || b > LIMITS.maxCallArgs) throw refusal(ri, pc - start, `bad argument count ${b} for ${bi.name}`);
        pass.called |= 1 << a;
        if (b > sp) throw refusal(ri, pc - start, 'stack underflow');
        sp -= b;
        stk[sp++] = bi.bool ? B : V;
        if (sp > maxDepth) {
          maxDepth = sp;
          if (sp > maxStack) throw refusal(ri, pc - start, 'stack too deep');
        }
        break;
      }
      case 0x09: // OP.NOT
        if (sp < 1) throw refusal(ri, pc - start, 'stack underflow');
        if (stk[sp - 1] !== B) throw refusal(ri, pc - start, 'operand is not a boolean');
        break;
      case 0x0a: // OP.TO_BOOL
        if (sp < 1) throw refusal(ri, pc - start, 'stack underflow');
        stk[sp - 1] = B;
        break;
      case 0x10: // OP.AND
      case 0x11: // OP.OR
        if (sp < 2 || stk[sp - 1] !== B || stk[sp - 2] !== B) throw refusal(ri, pc - start, 'operand is not a boolean');
        sp--;
        break;
      case 0x0b: // OP.MAKE_LIST
        a = code[pc + 1]! | (code[pc + 2]! << 8);
        if (a > LIMITS.maxListItems) throw refusal(ri, pc - start, 'list too long');
        if (a > sp) throw refusal(ri, pc - start, 'stack underflow');
        sp -= a;
        stk[sp++] = V;
        if (sp > maxDepth) {
          maxDepth = sp;
          if (sp > maxStack) throw refusal(ri, pc - start, 'stack too deep');
        }
        break;
      case 0x0c: // OP.GLOB
        a = code[pc + 1]!;
        b = (code[pc + 2]! | (code[pc + 3]! << 8) | (code[pc + 4]! << 16)) + code[pc + 5]! * 0x1000000;
        if (a >= GLOB_NAMES.length) throw refusal(ri, pc - start, `bad glob kind ${a}`);
        if (b >= nconst || !constIsStr[b]) throw refusal(ri, pc - start, `glob constant ${b} is not a string`);
        constUsed[b] = 1;
        if (sp < 1) throw refusal(ri, pc - start, 'stack underflow');
        stk[sp - 1] = B;
        break;
      case 0x0d: // OP.AND_JMP
      case 0x0e: { // OP.OR_JMP
        const t = (code[pc + 1]! | (code[pc + 2]! << 8) | (code[pc + 3]! << 16)) + code[pc + 4]! * 0x1000000;
        if (t <= pc - start || t >= end - start) throw refusal(ri, pc - start, `bad jump target +${t}`);
        if (sp === 0 || stk[sp - 1] !== B) throw refusal(ri, pc - start, 'jump on a non-boolean');
        const target = start + t;
        addPending(pass, target, nw + 1, stk, sp);
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
    words[nw] = op;
    words[nw + 1] = a;
    words[nw + 2] = b;
    nw += 3;
    pc += sz;
  }
  if (pass.npend > 0) throw refusal(ri, end - start, `bad jump target +${next - start}`);
  if (live) throw new PackError(`bytecode of rule ${ri}: falls off the end without RET`);
  if (maxDepth !== declared) throw new PackError(`bytecode of rule ${ri}: stack depth ${maxDepth} differs from the declared ${declared}`);
  return nw;
}
