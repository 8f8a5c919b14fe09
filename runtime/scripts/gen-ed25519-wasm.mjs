#!/usr/bin/env node
/**
 * Generates runtime/src/crypto/ed25519-wasm-bytes.ts: a small WebAssembly
 * module that classifies a 32-byte Ed25519 public key (issue 15: the
 * key-strength check on every `fms-run` start-up path, fast in a cold
 * process because Liftoff compiles WebAssembly to machine code at once,
 * where cold BigInt code pays a runtime call per operation).
 *
 * This script is the reviewed source: it writes the module as WebAssembly
 * text (WAT), with the unrolled limb arithmetic produced by the loops below,
 * and wabt's wat2wasm (`wabt` npm package, a devDependency) assembles it.
 * The runtime only imports the bytes (base64 in a TS module); a test reruns
 * this script and fails if they differ from the committed ones.
 *
 * Usage: node runtime/scripts/gen-ed25519-wasm.mjs [--out DIR] [--wat]
 *   --out DIR  write ed25519-wasm-bytes.ts into DIR instead of runtime/src/crypto/
 *   --wat      print the WAT text to stdout instead of writing anything
 *
 * Field elements mod p = 2^255 − 19 are ref10's 10 signed limbs of 26, 25,
 * 26, … bits (limb i weighs 2^ceil(25.5·i)), one i64 each, 80 bytes in
 * linear memory. Bounds (the invariants every function below relies on):
 *   - "carried": every limb |h_i| < 2^26 (what fe_carry, fe_mul and fe_sq
 *     return; fe_frombytes and canonical values are carried too).
 *   - fe_mul / fe_sq accept limbs |f_i| < 2^27 (so the sum or difference of
 *     two carried elements): every product term is below 38 · 2^54 and a
 *     limb of the result sums 10 of them, < 380 · 2^54 < 2^63.
 *   - fe_add / fe_sub / fe_nadd do not carry: their result feeds a product
 *     only when both inputs were carried; anything else goes through fe_carry.
 *   The generator checks these bounds on every call it emits (see `RULES`):
 *   a formula that could overflow an i64 accumulator does not assemble.
 * [L]A uses L's width-3 NAF (digits computed and checked here) over a table
 * of A and 3A: 253 doublings and 31 additions.
 *
 * The module's one entry point for the runtime is `check()`: it reads the key
 * at address 0 and returns 0 strong, 1 y ≥ p, 2 not a canonical point
 * encoding, 3 small order, 4 not in the prime-order subgroup — the checks,
 * in order, of the BigInt implementation it replaces. The field operations
 * are exported too, for the differential tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const wabtVersion = require('wabt/package.json').version;

// ---- constants -------------------------------------------------------------

const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;
const SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752n;
if ((D * 121666n + 121665n) % P !== 0n) throw new Error('d is not −121665/121666');
if ((SQRT_M1 * SQRT_M1 + 1n) % P !== 0n) throw new Error('SQRT_M1² is not −1');

/** Limb widths and bit offsets. */
const W = [26, 25, 26, 25, 26, 25, 26, 25, 26, 25];
const OFF = W.map((_, i) => W.slice(0, i).reduce((a, b) => a + b, 0));
const MASK = W.map((w) => (1n << BigInt(w)) - 1n);

/** Canonical limbs of v in [0, 2^255). */
function limbs(v) {
  if (v < 0n || v >= 1n << 255n) throw new Error('limbs: out of range');
  return OFF.map((o, i) => (v >> BigInt(o)) & MASK[i]);
}

// ---- memory layout -----------------------------------------------------------

const FE = 80; // bytes per field element
const PT = 4 * FE; // X, Y, Z, T
let next = 0;
const alloc = (size) => {
  const at = next;
  next += size;
  return at;
};
const M = {
  input: alloc(64), // the key (32 bytes), then zeros: fe_frombytes loads 8 bytes from offset 28
  one: alloc(FE),
  d: alloc(FE),
  d2: alloc(FE),
  sqrtm1: alloc(FE),
  digits: alloc(256), // L in width-3 NAF, most significant digit first (signed bytes: 0, ±1, ±3)
  // temporaries
  y: alloc(FE),
  u: alloc(FE),
  v: alloc(FE),
  v3: alloc(FE),
  x: alloc(FE),
  t: alloc(FE),
  chk: alloc(FE),
  fz: alloc(FE), // fe_is_zero / fe_freeze scratch
  p0: alloc(FE),
  p1: alloc(FE),
  p2: alloc(FE),
  A: alloc(FE),
  B: alloc(FE),
  C: alloc(FE),
  E: alloc(FE),
  F: alloc(FE),
  G: alloc(FE),
  H: alloc(FE),
  pa: alloc(PT), // the decoded key
  r: alloc(PT), // the accumulator
  tbl: alloc(2 * PT), // A and 3A prepared for additions: Y − X, Y + X, 2d·T, 2Z
  scratch: alloc(FE * 8), // free for tests (exported as `scratch`)
};
if (next > 65536) throw new Error('layout does not fit in one page');
const X_ = 0;
const Y_ = FE;
const Z_ = 2 * FE;
const T_ = 3 * FE;

function feBytes(v) {
  const out = Buffer.alloc(FE);
  limbs(v).forEach((l, i) => out.writeBigInt64LE(l, 8 * i));
  return out;
}
/*
 * L in width-3 NAF: digits 0, ±1, ±3, a non-zero digit followed by at least two
 * zeros (31 additions of ±A or ±3A instead of 72 of A). Checked here: the
 * digits give back L.
 */
function wnaf3(k) {
  const out = []; // least significant first
  while (k > 0n) {
    let z = 0n;
    if (k & 1n) {
      z = k % 8n;
      if (z >= 4n) z -= 8n;
      k -= z;
    }
    out.push(Number(z));
    k >>= 1n;
  }
  return out.reverse();
}
const DIGITS = wnaf3(L);
if (DIGITS.reduce((acc, d) => 2n * acc + BigInt(d), 0n) !== L || DIGITS.some((d) => ![0, 1, -1, 3, -3].includes(d)) || DIGITS.length > 256) throw new Error('bad NAF of L');
const lb = Buffer.from(DIGITS.map((d) => d & 0xff));
const DATA = [
  [M.one, feBytes(1n)],
  [M.d, feBytes(D)],
  [M.d2, feBytes((2n * D) % P)],
  [M.sqrtm1, feBytes(SQRT_M1)],
  [M.digits, lb],
];
const watString = (buf) => [...buf].map((b) => '\\' + b.toString(16).padStart(2, '0')).join('');

// ---- code ------------------------------------------------------------------

const I = (n) => `(i32.const ${n})`;
const lg = (n) => `(local.get $${n})`;
const range = (n) => Array.from({ length: n }, (_, i) => i);
const locals = (names) => names.map((n) => `(local $${n} i64)`).join(' ');
const load = (ptr, prefix) => range(10).map((i) => `    (local.set $${prefix}${i} (i64.load offset=${8 * i} (local.get $${ptr})))`);
const store = (ptr, prefix) => range(10).map((i) => `    (i64.store offset=${8 * i} (local.get $${ptr}) (local.get $${prefix}${i}))`);
const H = range(10).map((i) => `h${i}`);

/** One floor carry pass over h0..h9 (h9's carry wraps into h0 times 19, then h0 carries into h1 once more). */
function carryPass(wrap = true) {
  const out = [];
  for (let i = 0; i < 10; i++) {
    out.push(`    (local.set $c (i64.shr_s (local.get $h${i}) (i64.const ${W[i]})))`);
    out.push(`    (local.set $h${i} (i64.and (local.get $h${i}) (i64.const ${MASK[i]})))`);
    if (i < 9) out.push(`    (local.set $h${i + 1} (i64.add (local.get $h${i + 1}) (local.get $c)))`);
    else if (wrap) out.push(`    (local.set $h0 (i64.add (local.get $h0) (i64.mul (local.get $c) (i64.const 19))))`);
  }
  if (wrap) {
    out.push(`    (local.set $c (i64.shr_s (local.get $h0) (i64.const 26)))`);
    out.push(`    (local.set $h0 (i64.and (local.get $h0) (i64.const ${MASK[0]})))`);
    out.push(`    (local.set $h1 (i64.add (local.get $h1) (local.get $c)))`);
  }
  return out;
}

/** A sum of terms, one per line. */
const sum = (terms) => terms.reduce((acc, t) => (acc === null ? t : `(i64.add ${acc}\n      ${t})`), null);

function feMul() {
  const pre = [];
  const need = new Set();
  const lines = [];
  for (let k = 0; k < 10; k++) {
    const terms = [];
    for (let i = 0; i < 10; i++) {
      const j = (k - i + 10) % 10;
      const wrap = i + j >= 10; // weight 2^255 · … ≡ 19 · …
      const odd = i % 2 === 1 && j % 2 === 1; // 2^ceil(25.5i) · 2^ceil(25.5j) = 2 · 2^ceil(25.5(i+j))
      const f = odd ? `f2_${i}` : `f${i}`;
      const g = wrap ? `g19_${j}` : `g${j}`;
      if (odd) need.add(f);
      if (wrap) need.add(g);
      terms.push(`(i64.mul ${lg(f)} ${lg(g)})`);
    }
    lines.push(`    (local.set $h${k} ${sum(terms)})`);
  }
  for (const n of [...need].sort()) {
    const [base, idx] = n.split('_');
    pre.push(
      base === 'f2'
        ? `    (local.set $${n} (i64.shl (local.get $f${idx}) (i64.const 1)))`
        : `    (local.set $${n} (i64.mul (local.get $g${idx}) (i64.const 19)))`,
    );
  }
  const loc = [...range(10).map((i) => `f${i}`), ...range(10).map((i) => `g${i}`), ...[...need].sort(), ...H, 'c'];
  return [
    `  ;; o = a · b (o may alias a or b: everything is loaded first); inputs |limb| < 2^27, output carried`,
    `  (func $fe_mul (export "fe_mul") (param $o i32) (param $a i32) (param $b i32)`,
    `    ${locals(loc)}`,
    ...load('a', 'f'),
    ...load('b', 'g'),
    ...pre,
    ...lines,
    ...carryPass(),
    ...store('o', 'h'),
    `  )`,
  ];
}

function feSq() {
  // h_k = Σ_{i ≤ j, i + j ≡ k} coef · f_i · f_j, coef = (i < j ? 2 : 1) · (i, j odd ? 2 : 1) · (i + j ≥ 10 ? 19 : 1)
  const FACTORS = { 1: ['', ''], 2: ['2', ''], 4: ['2', '2'], 19: ['', '19'], 38: ['2', '19'], 76: ['2', '38'] };
  const need = new Set();
  const lines = [];
  for (let k = 0; k < 10; k++) {
    const terms = [];
    for (let i = 0; i < 10; i++) {
      const j = (k - i + 10) % 10;
      if (j < i) continue;
      const coef = (i < j ? 2 : 1) * (i % 2 === 1 && j % 2 === 1 ? 2 : 1) * (i + j >= 10 ? 19 : 1);
      const [fa, fb] = FACTORS[coef];
      const a = fa ? `f${fa}_${i}` : `f${i}`;
      const b = fb ? `f${fb}_${j}` : `f${j}`;
      if (fa) need.add(a);
      if (fb) need.add(b);
      terms.push(`(i64.mul ${lg(a)} ${lg(b)})`);
    }
    lines.push(`    (local.set $h${k} ${sum(terms)})`);
  }
  const pre = [...need].sort().map((n) => {
    const [m, idx] = n.slice(1).split('_');
    return m === '2'
      ? `    (local.set $${n} (i64.shl (local.get $f${idx}) (i64.const 1)))`
      : `    (local.set $${n} (i64.mul (local.get $f${idx}) (i64.const ${m})))`;
  });
  const loc = [...range(10).map((i) => `f${i}`), ...[...need].sort(), ...H, 'c'];
  return [
    `  ;; o = a² (o may alias a); input |limb| < 2^27, output carried`,
    `  (func $fe_sq (export "fe_sq") (param $o i32) (param $a i32)`,
    `    ${locals(loc)}`,
    ...load('a', 'f'),
    ...pre,
    ...lines,
    ...carryPass(),
    ...store('o', 'h'),
    `  )`,
  ];
}

/** o_i = op(a_i, b_i), no carry. */
function feLinear(name, doc, op) {
  return [
    `  ;; ${doc}`,
    `  (func $${name} (export "${name}") (param $o i32) (param $a i32) (param $b i32)`,
    ...range(10).map((i) => `    (i64.store offset=${8 * i} (local.get $o) ${op(`(i64.load offset=${8 * i} (local.get $a))`, `(i64.load offset=${8 * i} (local.get $b))`)})`),
    `  )`,
  ];
}

function feCarry() {
  return [
    `  ;; o = a, carried (one pass; any limbs |a_i| < 2^62)`,
    `  (func $fe_carry (export "fe_carry") (param $o i32) (param $a i32)`,
    `    ${locals([...H, 'c'])}`,
    ...load('a', 'h'),
    ...carryPass(),
    ...store('o', 'h'),
    `  )`,
  ];
}

function feFreeze() {
  // Two carry passes leave 0 ≤ v < 2^255 + 2^43 (< 2p); q = floor((v + 19) / 2^255) ∈ {0, 1}
  // is exactly floor(v / p) there, computed limb by limb (floor of nested floors); then
  // v − q·p = v + 19q − q·2^255: add 19q, carry, drop the carry out of bit 255.
  const q = [`    (local.set $c (i64.shr_s (i64.add (local.get $h0) (i64.const 19)) (i64.const 26)))`];
  for (let i = 1; i < 10; i++) q.push(`    (local.set $c (i64.shr_s (i64.add (local.get $h${i}) (local.get $c)) (i64.const ${W[i]})))`);
  return [
    `  ;; o = the canonical limbs of a mod p (every limb in [0, 2^w_i), value < p); any limbs |a_i| < 2^62`,
    `  (func $fe_freeze (export "fe_freeze") (param $o i32) (param $a i32)`,
    `    ${locals([...H, 'c'])}`,
    `    (call $fe_carry (local.get $o) (local.get $a))`,
    `    (call $fe_carry (local.get $o) (local.get $o))`,
    ...load('o', 'h'),
    ...q,
    `    (local.set $h0 (i64.add (local.get $h0) (i64.mul (local.get $c) (i64.const 19))))`,
    ...carryPass(false),
    ...store('o', 'h'),
    `  )`,
  ];
}

function feFromBytes() {
  return [
    `  ;; o = the 255 low bits of the 32 little-endian bytes at p (bit 255, x's sign, is ignored); reads p .. p + 35`,
    `  (func $fe_frombytes (export "fe_frombytes") (param $o i32) (param $p i32)`,
    ...range(10).map(
      (i) =>
        `    (i64.store offset=${8 * i} (local.get $o) (i64.and (i64.shr_u (i64.load offset=${OFF[i] >> 3} (local.get $p)) (i64.const ${OFF[i] & 7})) (i64.const ${MASK[i]})))`,
    ),
    `  )`,
  ];
}

/*
 * Limb bounds, checked while the code is generated: every `call` below updates
 * an exclusive bound on |limb| for the field element it writes, and refuses
 * to emit a product whose input may reach 2^27 (fe_mul / fe_sq) or a carry
 * whose input may reach 2^62. An address a function reads before writing is
 * state kept between calls (the point r, the table, pa, constants), which is
 * always carried; a temporary a function leaves looser than that may not be
 * read by another one before it is written again.
 */
const CARRIED = 2 ** 26;
const MUL_MAX = 2 ** 27;
const CARRY_MAX = 2 ** 62;
let fnName = '';
let bounds = new Map();
const loose = new Set();
/** Starts the bound tracking of a function (returns '' so it can sit in the module's line list). */
function begin(name) {
  for (const [k, b] of bounds) (b > CARRIED ? loose.add(k) : loose.delete(k));
  bounds = new Map();
  fnName = name;
  return '';
}
function boundOf(a) {
  const k = String(a);
  if (bounds.has(k)) return bounds.get(k);
  if (loose.has(k)) throw new Error(`${fnName}: reads ${k}, left loose by another function`);
  return CARRIED;
}
function need(f, a, max) {
  const b = boundOf(a);
  if (b > max) throw new Error(`${fnName}: ${f} input ${a} may reach 2^${Math.log2(b).toFixed(2)} (limit 2^${Math.log2(max)})`);
}
const set = (o, b) => bounds.set(String(o), b);
const RULES = {
  fe_mul: (o, a, b) => (need('fe_mul', a, MUL_MAX), need('fe_mul', b, MUL_MAX), set(o, CARRIED)),
  fe_sq: (o, a) => (need('fe_sq', a, MUL_MAX), set(o, CARRIED)),
  fe_sqn: (o, a) => (need('fe_sqn', a, MUL_MAX), set(o, CARRIED)),
  pow22523: (o, z) => (need('pow22523', z, MUL_MAX), set(o, CARRIED)),
  fe_add: (o, a, b) => set(o, boundOf(a) + boundOf(b)),
  fe_sub: (o, a, b) => set(o, boundOf(a) + boundOf(b)),
  fe_nadd: (o, a, b) => set(o, boundOf(a) + boundOf(b)),
  fe_carry: (o, a) => (need('fe_carry', a, CARRY_MAX), set(o, CARRIED)),
  fe_freeze: (o, a) => (need('fe_freeze', a, CARRY_MAX), set(o, CARRIED)),
  fe_is_zero: (a) => need('fe_is_zero', a, CARRY_MAX),
  fe_copy: (o, a) => set(o, boundOf(a)),
  fe_set: (o) => set(o, CARRIED),
  fe_frombytes: (o) => set(o, CARRIED),
};
const call = (f, ...args) => {
  RULES[f]?.(...args);
  return `(call $${f} ${args.map((a) => (typeof a === 'number' ? I(a) : a)).join(' ')})`;
};

const module = [
  '(module',
  '  (memory (export "memory") 1)',
  ...DATA.map(([at, buf]) => `  (data (i32.const ${at}) "${watString(buf)}")`),
  `  (global (export "input") i32 ${I(M.input)})`,
  `  (global (export "scratch") i32 ${I(M.scratch)})`,
  ...feMul(),
  ...feSq(),
  ...feLinear('fe_add', 'o = a + b, no carry', (a, b) => `(i64.add ${a} ${b})`),
  ...feLinear('fe_sub', 'o = a − b, no carry', (a, b) => `(i64.sub ${a} ${b})`),
  ...feLinear('fe_nadd', 'o = −a − b, no carry', (a, b) => `(i64.sub (i64.sub (i64.const 0) ${a}) ${b})`),
  ...feCarry(),
  ...feFreeze(),
  ...feFromBytes(),
  `  ;; o = a`,
  begin('fe_copy') + `  (func $fe_copy (param $o i32) (param $a i32)`,
  `    (memory.copy (local.get $o) (local.get $a) ${I(FE)})`,
  `  )`,
  `  ;; o = the small integer n`,
  begin('fe_set') + `  (func $fe_set (param $o i32) (param $n i64)`,
  `    (memory.fill (local.get $o) (i32.const 0) ${I(FE)})`,
  `    (i64.store (local.get $o) (local.get $n))`,
  `  )`,
  `  ;; 1 when a ≡ 0 (mod p)`,
  begin('fe_is_zero') + `  (func $fe_is_zero (export "fe_is_zero") (param $a i32) (result i32)`,
  `    ${call('fe_freeze', M.fz, lg('a'))}`,
  `    (i64.eqz ${range(10).reduce((acc, i) => (acc === null ? `(i64.load offset=${8 * i} ${I(M.fz)})` : `(i64.or ${acc} (i64.load offset=${8 * i} ${I(M.fz)}))`), null)})`,
  `  )`,
  `  ;; 1 when a and b have the same limbs`,
  begin('fe_same') + `  (func $fe_same (param $a i32) (param $b i32) (result i32)`,
  `    (i64.eqz ${range(10).reduce((acc, i) => {
    const x = `(i64.xor (i64.load offset=${8 * i} (local.get $a)) (i64.load offset=${8 * i} (local.get $b)))`;
    return acc === null ? x : `(i64.or ${acc} ${x})`;
  }, null)})`,
  `  )`,
  `  ;; o = a^(2^n) (o may alias a), n ≥ 1`,
  begin('fe_sqn') + `  (func $fe_sqn (param $o i32) (param $a i32) (param $n i32)`,
  `    ${call('fe_sq', lg('o'), lg('a'))}`,
  `    (block $done (loop $more`,
  `      (local.set $n (i32.sub (local.get $n) (i32.const 1)))`,
  `      (br_if $done (i32.eqz (local.get $n)))`,
  `      ${call('fe_sq', lg('o'), lg('o'))}`,
  `      (br $more)))`,
  `  )`,
  `  ;; o = z^((p − 5) / 8) = z^(2^252 − 3), by ref10's addition chain (251 squarings, 11 products); o must not alias z`,
  begin('pow22523') + `  (func $pow22523 (export "pow22523") (param $o i32) (param $z i32)`,
  ...[
    call('fe_sq', M.p0, lg('z')), // z^2
    call('fe_sqn', M.p1, M.p0, 2), // z^8
    call('fe_mul', M.p1, lg('z'), M.p1), // z^9
    call('fe_mul', M.p0, M.p0, M.p1), // z^11
    call('fe_sq', M.p0, M.p0), // z^22
    call('fe_mul', M.p0, M.p1, M.p0), // z^(2^5 − 1)
    call('fe_sqn', M.p1, M.p0, 5),
    call('fe_mul', M.p0, M.p1, M.p0), // z^(2^10 − 1)
    call('fe_sqn', M.p1, M.p0, 10),
    call('fe_mul', M.p1, M.p1, M.p0), // z^(2^20 − 1)
    call('fe_sqn', M.p2, M.p1, 20),
    call('fe_mul', M.p1, M.p2, M.p1), // z^(2^40 − 1)
    call('fe_sqn', M.p1, M.p1, 10),
    call('fe_mul', M.p0, M.p1, M.p0), // z^(2^50 − 1)
    call('fe_sqn', M.p1, M.p0, 50),
    call('fe_mul', M.p1, M.p1, M.p0), // z^(2^100 − 1)
    call('fe_sqn', M.p2, M.p1, 100),
    call('fe_mul', M.p1, M.p2, M.p1), // z^(2^200 − 1)
    call('fe_sqn', M.p1, M.p1, 50),
    call('fe_mul', M.p0, M.p1, M.p0), // z^(2^250 − 1)
    call('fe_sqn', M.p0, M.p0, 2), // z^(2^252 − 4)
    call('fe_mul', lg('o'), M.p0, lg('z')),
  ].map((l) => `    ${l}`),
  `  )`,
  `  ;; r = 2r in place (dbl-2008-hwcd, a = −1): A = X², B = Y², C = 2Z², H = −A − B, E = (X + Y)² + H,`,
  `  ;; G = B − A, F = G − C; (EF, GH, FG, EH). T only when $t (an addition follows; a doubling does not read T).`,
  begin('ge_dbl') + `  (func $ge_dbl (param $t i32)`,
  ...[
    call('fe_sq', M.A, M.r + X_),
    call('fe_sq', M.B, M.r + Y_),
    call('fe_sq', M.C, M.r + Z_),
    call('fe_add', M.C, M.C, M.C),
    call('fe_carry', M.C, M.C), // carried
    call('fe_add', M.E, M.r + X_, M.r + Y_),
    call('fe_sq', M.E, M.E),
    call('fe_nadd', M.H, M.A, M.B), // |limb| < 2^27
    call('fe_add', M.E, M.E, M.H),
    call('fe_carry', M.E, M.E), // carried
    call('fe_sub', M.G, M.B, M.A), // |limb| < 2^27
    call('fe_sub', M.F, M.G, M.C),
    call('fe_carry', M.F, M.F), // carried
    call('fe_mul', M.r + X_, M.E, M.F),
    call('fe_mul', M.r + Y_, M.G, M.H),
    call('fe_mul', M.r + Z_, M.F, M.G),
  ].map((l) => `    ${l}`),
  `    (if (local.get $t) (then ${call('fe_mul', M.r + T_, M.E, M.H)}))`,
  `  )`,
  `  ;; r = r ± q in place (add-2008-hwcd-3, a = −1; q prepared, r's T computed):`,
  `  ;; A = (Y1 − X1)(Y2 − X2), B = (Y1 + X1)(Y2 + X2), C = T1 · 2dT2, D = Z1 · 2Z2; E = B − A, F = D − C, G = D + C, H = B + A.`,
  `  ;; r − q when $neg: −q = (−X2, Y2, Z2, −T2) swaps Y2 − X2 and Y2 + X2 and negates C (so F and G swap).`,
  begin('ge_add') + `  (func $ge_add (param $q i32) (param $neg i32)`,
  `    (local $ym i32) (local $yp i32)`,
  `    (local.set $ym (select (i32.add (local.get $q) ${I(FE)}) (local.get $q) (local.get $neg)))`,
  `    (local.set $yp (select (local.get $q) (i32.add (local.get $q) ${I(FE)}) (local.get $neg)))`,
  ...[
    call('fe_sub', M.A, M.r + Y_, M.r + X_),
    call('fe_mul', M.A, M.A, lg('ym')),
    call('fe_add', M.B, M.r + Y_, M.r + X_),
    call('fe_mul', M.B, M.B, lg('yp')),
    call('fe_mul', M.C, M.r + T_, `(i32.add (local.get $q) ${I(2 * FE)})`),
    call('fe_mul', M.H, M.r + Z_, `(i32.add (local.get $q) ${I(3 * FE)})`), // D, kept in H's slot
    call('fe_sub', M.E, M.B, M.A),
    `(if (local.get $neg) (then ${call('fe_add', M.F, M.H, M.C)} ${call('fe_sub', M.G, M.H, M.C)}) (else ${call('fe_sub', M.F, M.H, M.C)} ${call('fe_add', M.G, M.H, M.C)}))`,
    call('fe_add', M.H, M.B, M.A),
    call('fe_mul', M.r + X_, M.E, M.F),
    call('fe_mul', M.r + Y_, M.G, M.H),
    call('fe_mul', M.r + Z_, M.F, M.G),
    call('fe_mul', M.r + T_, M.E, M.H),
  ].map((l) => `    ${l}`),
  `  )`,
  `  ;; o = p prepared for additions (Y − X, Y + X, 2d·T, 2Z, each carried)`,
  begin('ge_prepare') + `  (func $ge_prepare (param $o i32) (param $p i32)`,
  ...[
    call('fe_sub', lg('o'), `(i32.add (local.get $p) ${I(Y_)})`, lg('p')),
    call('fe_carry', lg('o'), lg('o')),
    call('fe_add', `(i32.add (local.get $o) ${I(FE)})`, `(i32.add (local.get $p) ${I(Y_)})`, lg('p')),
    call('fe_carry', `(i32.add (local.get $o) ${I(FE)})`, `(i32.add (local.get $o) ${I(FE)})`),
    call('fe_mul', `(i32.add (local.get $o) ${I(2 * FE)})`, `(i32.add (local.get $p) ${I(T_)})`, M.d2),
    call('fe_add', `(i32.add (local.get $o) ${I(3 * FE)})`, `(i32.add (local.get $p) ${I(Z_)})`, `(i32.add (local.get $p) ${I(Z_)})`),
    call('fe_carry', `(i32.add (local.get $o) ${I(3 * FE)})`, `(i32.add (local.get $o) ${I(3 * FE)})`),
  ].map((l) => `    ${l}`),
  `  )`,
  `  ;; 1 when r is the identity: X ≡ 0 and Y ≡ Z`,
  begin('ge_is_identity') + `  (func $ge_is_identity (result i32)`,
  `    (if (i32.eqz ${call('fe_is_zero', M.r + X_)}) (then (return (i32.const 0))))`,
  `    ${call('fe_sub', M.chk, M.r + Y_, M.r + Z_)}`,
  `    ${call('fe_is_zero', M.chk)}`,
  `  )`,
  `  ;; RFC 8032 §5.1.3 decoding of the key at input (y, already checked < p, in M.y) into pa; 0 when it is no canonical encoding`,
  begin('decode') + `  (func $decode (result i32)`,
  `    (local $sign i32)`,
  `    (local.set $sign (i32.shr_u (i32.load8_u offset=31 ${I(M.input)}) (i32.const 7)))`,
  ...[
    call('fe_sq', M.t, M.y), // y²
    call('fe_sub', M.u, M.t, M.one), // u = y² − 1
    call('fe_carry', M.u, M.u),
    call('fe_mul', M.v, M.t, M.d),
    call('fe_add', M.v, M.v, M.one), // v = d·y² + 1
    call('fe_carry', M.v, M.v),
    call('fe_sq', M.v3, M.v),
    call('fe_mul', M.v3, M.v3, M.v), // v³
    call('fe_sq', M.t, M.v3),
    call('fe_mul', M.t, M.t, M.v),
    call('fe_mul', M.t, M.t, M.u), // u·v⁷
    call('pow22523', M.x, M.t),
    call('fe_mul', M.x, M.x, M.v3),
    call('fe_mul', M.x, M.x, M.u), // x = u·v³·(u·v⁷)^((p − 5) / 8)
    call('fe_sq', M.t, M.x),
    call('fe_mul', M.t, M.t, M.v), // v·x²
    call('fe_add', M.chk, M.t, M.u),
  ].map((l) => `    ${l}`),
  `    (if ${call('fe_is_zero', M.chk)}`,
  `      (then ${call('fe_mul', M.x, M.x, M.sqrtm1)})`,
  `      (else`,
  `        ${call('fe_sub', M.chk, M.t, M.u)}`,
  `        (if (i32.eqz ${call('fe_is_zero', M.chk)}) (then (return (i32.const 0))))))`,
  `    ${call('fe_freeze', M.x, M.x)}`,
  `    (if (i32.and (i64.eqz ${range(10).reduce((acc, i) => (acc === null ? `(i64.load offset=${8 * i} ${I(M.x)})` : `(i64.or ${acc} (i64.load offset=${8 * i} ${I(M.x)}))`), null)}) (local.get $sign))`,
  `      (then (return (i32.const 0))))`,
  `    (if (i32.ne (i32.wrap_i64 (i64.and (i64.load ${I(M.x)}) (i64.const 1))) (local.get $sign))`,
  `      (then`,
  `        ${call('fe_set', M.t, '(i64.const 0)')}`,
  `        ${call('fe_sub', M.x, M.t, M.x)}`,
  `        ${call('fe_carry', M.x, M.x)}))`,
  `    ${call('fe_copy', M.pa + X_, M.x)}`,
  `    ${call('fe_copy', M.pa + Y_, M.y)}`,
  `    ${call('fe_copy', M.pa + Z_, M.one)}`,
  `    ${call('fe_mul', M.pa + T_, M.x, M.y)}`,
  `    (i32.const 1)`,
  `  )`,
  `  ;; Classifies the key at input: 0 strong, 1 y ≥ p, 2 not a canonical point encoding, 3 small order,`,
  `  ;; 4 not in the prime-order subgroup ([L]A ≠ O)`,
  begin('check') + `  (func $check (export "check") (result i32)`,
  `    (local $i i32) (local $d i32)`,
  `    ${call('fe_frombytes', M.y, M.input)}`,
  `    ${call('fe_freeze', M.t, M.y)}`,
  `    (if (i32.eqz ${call('fe_same', M.t, M.y)}) (then (return (i32.const 1))))`,
  `    (if (i32.eqz (call $decode)) (then (return (i32.const 2))))`,
  `    (memory.copy ${I(M.r)} ${I(M.pa)} ${I(PT)})`,
  `    (call $ge_dbl (i32.const 0))`,
  `    (call $ge_dbl (i32.const 0))`,
  `    (call $ge_dbl (i32.const 0))`,
  `    (if (call $ge_is_identity) (then (return (i32.const 3))))`,
  `    ;; the table: A and 3A = 2A + A, prepared; then r = [L]A from the identity, one NAF digit per doubling`,
  `    ${call('ge_prepare', M.tbl, M.pa)}`,
  `    (memory.copy ${I(M.r)} ${I(M.pa)} ${I(PT)})`,
  `    (call $ge_dbl (i32.const 1))`,
  `    ${call('ge_add', M.tbl, 0)}`,
  `    ${call('ge_prepare', M.tbl + PT, M.r)}`,
  ...[
    call('fe_set', M.r + X_, '(i64.const 0)'),
    call('fe_set', M.r + Y_, '(i64.const 1)'),
    call('fe_set', M.r + Z_, '(i64.const 1)'),
    call('fe_set', M.r + T_, '(i64.const 0)'),
  ].map((l) => `    ${l}`),
  `    (local.set $i (i32.const 0))`,
  `    (loop $digits`,
  `      (local.set $d (i32.load8_s offset=${M.digits} (local.get $i)))`,
  `      (call $ge_dbl (local.get $d))`,
  `      (if (local.get $d)`,
  `        (then ${call('ge_add', `(select ${I(M.tbl + PT)} ${I(M.tbl)} (i32.gt_u (i32.add (local.get $d) (i32.const 1)) (i32.const 2)))`, '(i32.lt_s (local.get $d) (i32.const 0))')}))`,
  `      (local.set $i (i32.add (local.get $i) (i32.const 1)))`,
  `      (br_if $digits (i32.lt_u (local.get $i) ${I(DIGITS.length)})))`,
  `    (if (i32.eqz (call $ge_is_identity)) (then (return (i32.const 4))))`,
  `    (i32.const 0)`,
  `  )`,
  ')',
  '',
].join('\n');
begin('');

// ---- assemble ----------------------------------------------------------------

const wabt = await require('wabt')();
const parsed = wabt.parseWat('ed25519.wat', module, { bulk_memory: true, mutable_globals: false });
let bytes;
try {
  parsed.resolveNames();
  parsed.validate();
  bytes = Buffer.from(parsed.toBinary({ log: false, write_debug_names: false }).buffer);
} finally {
  parsed.destroy();
}
if (!WebAssembly.validate(bytes)) throw new Error('node does not accept the module');

const args = process.argv.slice(2);
if (args.includes('--wat')) {
  process.stdout.write(module);
} else {
  const outAt = args.indexOf('--out');
  const outDir = outAt >= 0 && args[outAt + 1] ? args[outAt + 1] : join(root, 'runtime', 'src', 'crypto');
  const b64 = bytes.toString('base64');
  const lines = [
    '// GENERATED FILE: do not edit. Regenerate with `node runtime/scripts/gen-ed25519-wasm.mjs`.',
    `// Source: runtime/scripts/gen-ed25519-wasm.mjs (WAT assembled by wabt ${wabtVersion}); ${bytes.length} bytes,`,
    `// sha256 ${createHash('sha256').update(bytes).digest('hex')}.`,
    '',
    '/** The Ed25519 key-classifying WebAssembly module (see runtime/scripts/gen-ed25519-wasm.mjs), base64. */',
    'export const ED25519_WASM_BASE64 =',
    ...b64.match(/.{1,96}/g).map((chunk, i, all) => `  '${chunk}'${i === all.length - 1 ? ';' : ' +'}`),
    '',
  ];
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'ed25519-wasm-bytes.ts'), lines.join('\n'));
  process.stdout.write(`wrote ${join(outDir, 'ed25519-wasm-bytes.ts')} (${bytes.length} bytes of WebAssembly)\n`);
}
