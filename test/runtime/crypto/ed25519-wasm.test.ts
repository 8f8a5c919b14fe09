/**
 * The WebAssembly module behind the Ed25519 key-strength check (issue 15):
 * its bytes are exactly what the reviewed generator assembles, and its field
 * arithmetic mod 2^255 − 19 agrees with BigInt on random and edge inputs,
 * within the limb bounds the generator documents.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../../helpers/paths';
import { ed25519Wasm, type Ed25519WasmExports } from '../../../runtime/src/crypto/ed25519-wasm';

const P = (1n << 255n) - 19n;
const W = [26, 25, 26, 25, 26, 25, 26, 25, 26, 25];
const OFF = W.map((_, i) => W.slice(0, i).reduce((a, b) => a + b, 0));
const mod = (a: bigint) => ((a % P) + P) % P;

const wasm = (): Ed25519WasmExports => {
  const w = ed25519Wasm();
  if (!w) throw new Error('WebAssembly module unavailable in this process');
  return w;
};
const S = (i: number) => (wasm().scratch.value as number) + 80 * i; // 8 field elements of scratch
const mem = () => new DataView(wasm().memory.buffer);
const put = (at: number, limbs: readonly bigint[]) => limbs.forEach((l, i) => mem().setBigInt64(at + 8 * i, l, true));
const get = (at: number) => Array.from({ length: 10 }, (_, i) => mem().getBigInt64(at + 8 * i, true));
const value = (limbs: readonly bigint[]) => limbs.reduce((acc, l, i) => acc + (l << BigInt(OFF[i]!)), 0n);
const canonicalLimbs = (v: bigint) => OFF.map((o, i) => (v >> BigInt(o)) & ((1n << BigInt(W[i]!)) - 1n));
const randomBig = (bits: number) => BigInt('0x' + randomBytes(Math.ceil(bits / 8)).toString('hex')) & ((1n << BigInt(bits)) - 1n);
/** Random signed limbs with |limb| < 2^bits. */
const randomLimbs = (bits: number) => Array.from({ length: 10 }, () => (randomBig(bits) * (randomBytes(1)[0]! & 1 ? -1n : 1n)));
const carried = (limbs: readonly bigint[]) => limbs.every((l) => l > -(1n << 26n) && l < 1n << 26n);

const hex = (v: bigint) => '0x' + v.toString(16);
const MAX27 = (1n << 27n) - 1n;
/** Edge inputs as limbs: small values, p − 1, p, p + 1, 2^255 − 1 (all limbs maximal), 2^255 − 20, and limbs at the documented product bound ±(2^27 − 1). */
const EDGES: bigint[][] = [
  ...[0n, 1n, 2n, 19n, P - 1n, P, P + 1n, P + 18n, (1n << 255n) - 1n, (1n << 255n) - 20n, 1n << 254n, (P - 1n) / 2n].map(canonicalLimbs),
  Array(10).fill(MAX27),
  Array(10).fill(-MAX27),
  Array.from({ length: 10 }, (_, i) => (i % 2 ? MAX27 : -MAX27)),
  Array.from({ length: 10 }, (_, i) => (i % 2 ? -1n : MAX27)),
  Array.from({ length: 10 }, (_, i) => (i === 9 ? -MAX27 : 0n)),
  Array.from({ length: 10 }, (_, i) => (i === 0 ? -1n : 0n)),
];
/** Inputs for the product functions: the edges, carried random values, and sums/differences of two carried values (|limb| < 2^27). */
function productInputs(n: number): bigint[][] {
  const out = [...EDGES];
  for (let i = 0; i < n; i++) out.push(canonicalLimbs(randomBig(255)), randomLimbs(26), randomLimbs(27));
  return out;
}

test('the committed module is exactly what runtime/scripts/gen-ed25519-wasm.mjs assembles', () => {
  const out = mkdtempSync(join(tmpdir(), 'fms-ed25519-wasm-'));
  try {
    const r = spawnSync(process.execPath, [join(ROOT, 'runtime/scripts/gen-ed25519-wasm.mjs'), '--out', out], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    assert.fixture(readFileSync(join(out, 'ed25519-wasm-bytes.ts'), 'utf8'), readFileSync(join(ROOT, 'runtime/src/crypto/ed25519-wasm-bytes.ts'), 'utf8'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('fe_mul and fe_sq agree with BigInt and return carried limbs (inputs up to |limb| < 2^27)', () => {
  const w = wasm();
  const xs = productInputs(150);
  for (let i = 0; i < xs.length; i++) {
    const a = xs[i]!;
    const b = xs[(i * 7 + 3) % xs.length]!;
    put(S(0), a);
    put(S(1), b);
    w.fe_mul(S(2), S(0), S(1));
    const m = get(S(2));
    assert.is(hex(mod(value(m))), hex(mod(value(a) * value(b))), `mul ${a} ${b}`);
    assert.ok(carried(m), `mul not carried: ${m}`);
    w.fe_sq(S(3), S(0));
    const s = get(S(3));
    assert.is(hex(mod(value(s))), hex(mod(value(a) * value(a))), `sq ${a}`);
    assert.ok(carried(s), `sq not carried: ${s}`);
    // In place (o = a): the functions load everything before they store.
    w.fe_mul(S(0), S(0), S(1));
    assert.equal(get(S(0)), m);
    put(S(0), a);
    w.fe_sq(S(0), S(0));
    assert.equal(get(S(0)), s);
  }
});

test('fe_add, fe_sub, fe_nadd, fe_carry agree with BigInt; fe_carry bounds its output', () => {
  const w = wasm();
  const xs = productInputs(100);
  for (let i = 0; i < xs.length; i++) {
    const a = xs[i]!;
    const b = xs[(i * 5 + 1) % xs.length]!;
    put(S(0), a);
    put(S(1), b);
    w.fe_add(S(2), S(0), S(1));
    assert.equal(get(S(2)), a.map((x, j) => x + b[j]!));
    w.fe_sub(S(2), S(0), S(1));
    assert.equal(get(S(2)), a.map((x, j) => x - b[j]!));
    w.fe_nadd(S(2), S(0), S(1));
    assert.equal(get(S(2)), a.map((x, j) => -x - b[j]!));
    w.fe_carry(S(3), S(2));
    const c = get(S(3));
    assert.is(hex(mod(value(c))), hex(mod(-value(a) - value(b))));
    assert.ok(carried(c), `carry: ${c}`);
  }
  // Carry accepts far larger limbs (a product's accumulators), |limb| < 2^62.
  for (let i = 0; i < 200; i++) {
    const a = randomLimbs(62);
    put(S(0), a);
    w.fe_carry(S(1), S(0));
    assert.is(hex(mod(value(get(S(1))))), hex(mod(value(a))));
    assert.ok(carried(get(S(1))));
  }
});

test('fe_freeze gives the canonical limbs of the residue; fe_is_zero is exact', () => {
  const w = wasm();
  const cases: bigint[][] = [...productInputs(100), ...Array.from({ length: 200 }, () => randomLimbs(62))];
  // Values just around 0 and multiples of p, with every limb in play.
  for (const v of [0n, P, 2n * P, -P, P - 1n, P + 1n, -1n, 1n, (1n << 255n) - 1n, 1n << 255n, (1n << 255n) + 18n, (1n << 255n) + 19n]) cases.push(canonicalLimbs(mod(v)));
  for (const k of [-1n, 1n]) cases.push(Array.from({ length: 10 }, (_, i) => (i === 1 ? k : 0n)), Array.from({ length: 10 }, (_, i) => (i === 9 ? k << 25n : 0n)));
  cases.push([-19n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 1n << 25n]); // 2^255 − 19 = p exactly, spelled with a negative limb
  cases.push([-20n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 1n << 25n]); // p − 1
  cases.push([-18n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 1n << 25n]); // p + 1
  for (const a of cases) {
    put(S(0), a);
    w.fe_freeze(S(1), S(0));
    const f = get(S(1));
    const v = mod(value(a));
    assert.equal(f, canonicalLimbs(v), `freeze ${a}`);
    assert.is(w.fe_is_zero(S(0)), v === 0n ? 1 : 0, `is_zero ${a}`);
  }
});

test('fe_frombytes reads the low 255 bits; pow22523 is z^(2^252 − 3)', () => {
  const w = wasm();
  const bytes = [new Uint8Array(32), new Uint8Array(32).fill(0xff), ...Array.from({ length: 100 }, () => new Uint8Array(randomBytes(32)))];
  for (const b of bytes) {
    new Uint8Array(w.memory.buffer, S(0), 40).fill(0xa5); // junk after the 32 bytes must not leak in
    new Uint8Array(w.memory.buffer, S(0), 32).set(b);
    w.fe_frombytes(S(1), S(0));
    const y = BigInt('0x' + Buffer.from(b).reverse().toString('hex')) & ((1n << 255n) - 1n);
    assert.equal(get(S(1)), canonicalLimbs(y));
  }
  const e = (1n << 252n) - 3n;
  const powmod = (b: bigint) => {
    let r = 1n;
    let x = mod(b);
    for (let k = e; k > 0n; k >>= 1n, x = (x * x) % P) if (k & 1n) r = (r * x) % P;
    return r;
  };
  for (const a of [...EDGES, ...Array.from({ length: 20 }, () => randomLimbs(27))]) {
    put(S(0), a);
    w.pow22523(S(1), S(0));
    assert.is(hex(mod(value(get(S(1))))), hex(powmod(value(a))), `pow ${a}`);
  }
});

test.run();
