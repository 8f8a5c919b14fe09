/**
 * The Ed25519 key classification in plain BigInt arithmetic: the fallback of
 * `ed25519KeyWeakness` when WebAssembly is unavailable (it is never skipped),
 * and the reference the WebAssembly module is tested against. Same checks,
 * same order, same answers as `check()` in runtime/scripts/gen-ed25519-wasm.mjs.
 */
import type { Ed25519KeyClass } from './ed25519-wasm';

/** The field prime of Curve25519, 2^255 − 19. */
const P = (1n << 255n) - 19n;
/** Order of the prime-order subgroup. */
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
/** Edwards d = −121665/121666. */
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;
/** √−1 mod p. */
const SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752n;

const mod = (a: bigint): bigint => {
  const r = a % P;
  return r >= 0n ? r : r + P;
};

/*
 * Issue 15: this check runs on the start-up path of every `fms-run` (trust
 * roots are pinned when loaded); it now runs in WebAssembly and this code is
 * the fallback. Each BigInt operation allocates, so the code below counts
 * operations: one `% P` per product only (sums and differences
 * are kept non-negative with multiples of p instead of being reduced), a
 * doubling formula instead of the unified addition, the scalar's bits read
 * from a string, the inversion exponent by an addition chain.
 */
const P2 = 2n * P;

/** x^(2^n) mod p (n squarings). */
function sqn(x: bigint, n: number): bigint {
  for (let i = 0; i < n; i++) x = (x * x) % P;
  return x;
}

/** z^((p − 5) / 8) = z^(2^252 − 3) mod p, by ref10's addition chain (251 squarings, 11 products); z reduced. */
function pow22523(z: bigint): bigint {
  let t0 = (z * z) % P; // z^2
  let t1 = sqn(t0, 2); // z^8
  t1 = (z * t1) % P; // z^9
  t0 = (t0 * t1) % P; // z^11
  t0 = (t0 * t0) % P; // z^22
  t0 = (t1 * t0) % P; // z^(2^5 − 1)
  t1 = sqn(t0, 5);
  t0 = (t1 * t0) % P; // z^(2^10 − 1)
  t1 = sqn(t0, 10);
  t1 = (t1 * t0) % P; // z^(2^20 − 1)
  let t2 = sqn(t1, 20);
  t1 = (t2 * t1) % P; // z^(2^40 − 1)
  t1 = sqn(t1, 10);
  t0 = (t1 * t0) % P; // z^(2^50 − 1)
  t1 = sqn(t0, 50);
  t1 = (t1 * t0) % P; // z^(2^100 − 1)
  t2 = sqn(t1, 100);
  t1 = (t2 * t1) % P; // z^(2^200 − 1)
  t1 = sqn(t1, 50);
  t0 = (t1 * t0) % P; // z^(2^250 − 1)
  t0 = sqn(t0, 2); // z^(2^252 − 4)
  return (t0 * z) % P;
}

/** Extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z; every coordinate in [0, p). */
type Pt = [bigint, bigint, bigint, bigint];
const IDENTITY: Pt = [0n, 1n, 1n, 0n];
/** 2d mod p. */
const D2 = (2n * D) % P;

/**
 * Doubling for a = −1 (dbl-2008-hwcd): A = X², B = Y², C = 2Z², E = (X+Y)² − A − B,
 * G = B − A, F = G − C, H = −A − B; (EF, GH, FG, EH). T is computed only when
 * an addition follows (`withT`): a doubling does not read it.
 */
function dbl(p: Pt, withT: boolean): Pt {
  const X = p[0];
  const Y = p[1];
  const Z = p[2];
  const A = (X * X) % P;
  const B = (Y * Y) % P;
  const C = ((Z * Z) % P) << 1n; // < 2p
  const s = X + Y;
  const E = ((s * s) % P) + P2 - A - B; // in (0, 3p)
  const G = B + P - A; // in (0, 2p)
  const F = G + P2 - C; // in (0, 4p)
  const H = P2 - A - B; // in (0, 2p]
  return [(E * F) % P, (G * H) % P, (F * G) % P, withT ? (E * H) % P : 0n];
}

/** `q` prepared for repeated additions: Y − X, Y + X, 2d·T and 2Z. */
interface Prepared {
  ym: bigint;
  yp: bigint;
  t2d: bigint;
  z2: bigint;
}

function prepare(q: Pt): Prepared {
  return { ym: q[1] + P - q[0], yp: q[1] + q[0], t2d: (D2 * q[3]) % P, z2: q[2] << 1n };
}

/** p + q for a = −1 (add-2008-hwcd-3), q prepared; p's T must be computed. */
function addPrepared(p: Pt, q: Prepared): Pt {
  const X1 = p[0];
  const Y1 = p[1];
  const A = ((Y1 + P - X1) * q.ym) % P;
  const B = ((Y1 + X1) * q.yp) % P;
  const C = (p[3] * q.t2d) % P;
  const Dd = (p[2] * q.z2) % P;
  const E = B + P - A;
  const F = Dd + P - C;
  const G = Dd + C;
  const H = B + A;
  return [(E * F) % P, (G * H) % P, (F * G) % P, (E * H) % P];
}

function isIdentity(p: Pt): boolean {
  // x = 0 and y = 1  ⇔  X = 0 and Y = Z.
  return mod(p[0]) === 0n && mod(p[1] - p[2]) === 0n;
}

/** L in binary, most significant bit first. */
const L_BITS = L.toString(2);

/** [L]p, most significant bit first: one doubling per bit, one addition per set bit. */
function mulL(p: Pt): Pt {
  const q = prepare(p);
  let r = IDENTITY;
  for (let i = 0; i < L_BITS.length; i++) {
    const set = L_BITS.charCodeAt(i) === 49;
    r = dbl(r, set);
    if (set) r = addPrepared(r, q);
  }
  return r;
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The 255-bit little-endian integer of a key's bytes (sign bit cleared). */
function yOf(raw: Uint8Array): bigint {
  let h = '0x';
  for (let i = 31; i >= 0; i--) h += HEX[i === 31 ? raw[i]! & 0x7f : raw[i]!]!;
  return BigInt(h);
}

/** RFC 8032 §5.1.3 decoding of `raw` (whose 255-bit y is `y`); undefined when the bytes are not a canonical point encoding. */
function decode(raw: Uint8Array, y: bigint): Pt | undefined {
  const sign = raw[31]! >> 7;
  if (y >= P) return undefined;
  const yy = (y * y) % P;
  const u = mod(yy - 1n);
  const v = mod(D * yy + 1n);
  const v3 = mod(v * v * v);
  let x = mod(u * v3 * pow22523(mod(u * v3 * v3 * v)));
  const vx2 = mod(v * x * x);
  if (vx2 === mod(-u)) x = mod(x * SQRT_M1);
  else if (vx2 !== u) return undefined;
  if (x === 0n && sign === 1) return undefined;
  if (Number(x & 1n) !== sign) x = P - x;
  return [x, y, 1n, mod(x * y)];
}

/**
 * Classifies a 32-byte key (the caller checks the length): 0 strong, 1 y ≥ p,
 * 2 not a canonical point encoding, 3 small order, 4 not in the prime-order
 * subgroup.
 */
export function ed25519KeyClassBigInt(raw: Uint8Array): Ed25519KeyClass {
  const y = yOf(raw);
  if (y >= P) return 1;
  const pt = decode(raw, y);
  if (!pt) return 2;
  if (isIdentity(dbl(dbl(dbl(pt, false), false), false))) return 3;
  if (!isIdentity(mulL(pt))) return 4;
  return 0;
}
