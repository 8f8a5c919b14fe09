/**
 * Strength checks for pinned Ed25519 public keys, in plain BigInt arithmetic
 * (the runtime carries no curve library; verification itself is node:crypto).
 */

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

function pow(b: bigint, e: bigint): bigint {
  let r = 1n;
  let x = mod(b);
  while (e > 0n) {
    if (e & 1n) r = (r * x) % P;
    x = (x * x) % P;
    e >>= 1n;
  }
  return r;
}

/** Extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z. */
type Pt = [bigint, bigint, bigint, bigint];
const IDENTITY: Pt = [0n, 1n, 1n, 0n];

/** Unified addition for a = −1 (add-2008-hwcd-3); also correct for doubling. */
function add(p: Pt, q: Pt): Pt {
  const [X1, Y1, Z1, T1] = p;
  const [X2, Y2, Z2, T2] = q;
  const A = mod((Y1 - X1) * (Y2 - X2));
  const B = mod((Y1 + X1) * (Y2 + X2));
  const C = mod(2n * D * T1 * T2);
  const Dd = mod(2n * Z1 * Z2);
  const E = B - A;
  const F = Dd - C;
  const G = Dd + C;
  const H = B + A;
  return [mod(E * F), mod(G * H), mod(F * G), mod(E * H)];
}

function isIdentity(p: Pt): boolean {
  // x = 0 and y = 1  ⇔  X = 0 and Y = Z.
  return mod(p[0]) === 0n && mod(p[1] - p[2]) === 0n;
}

function mul(p: Pt, k: bigint): Pt {
  let r = IDENTITY;
  let q = p;
  while (k > 0n) {
    if (k & 1n) r = add(r, q);
    q = add(q, q);
    k >>= 1n;
  }
  return r;
}

/** RFC 8032 §5.1.3 decoding; undefined when the bytes are not a canonical point encoding. */
function decode(raw: Uint8Array): Pt | undefined {
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? raw[i]! & 0x7f : raw[i]!);
  const sign = raw[31]! >> 7;
  if (y >= P) return undefined;
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  const v3 = mod(v * v * v);
  let x = mod(u * v3 * pow(u * v3 * v3 * v, (P - 5n) / 8n));
  const vx2 = mod(v * x * x);
  if (vx2 === mod(-u)) x = mod(x * SQRT_M1);
  else if (vx2 !== u) return undefined;
  if (x === 0n && sign === 1) return undefined;
  if (Number(x & 1n) !== sign) x = P - x;
  return [x, y, 1n, mod(x * y)];
}

/**
 * Why a raw 32-byte Ed25519 public key must not be pinned, or undefined when it
 * is strong: the canonical RFC 8032 encoding (y < p, no sign bit on x = 0) of
 * a point of the prime-order subgroup other than the identity. Small-order
 * keys (the 8 torsion points, in any encoding) are refused: with one, a fixed
 * signature "verifies" for every message. Mixed-order keys (a torsion
 * component added to a real key) are refused too: no key generator makes one.
 */
export function ed25519KeyWeakness(raw: Uint8Array): string | undefined {
  if (!(raw instanceof Uint8Array) || raw.length !== 32) return 'an ed25519 public key is 32 bytes';
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? raw[i]! & 0x7f : raw[i]!);
  if (y >= P) return 'ed25519 public key is not canonically encoded (y ≥ 2^255 − 19)';
  const pt = decode(raw);
  if (!pt) return 'ed25519 public key is not a canonically encoded curve point';
  if (isIdentity(add(add(add(pt, pt), add(pt, pt)), add(add(pt, pt), add(pt, pt))))) return 'ed25519 public key is a small-order point (it would accept forged signatures)';
  if (!isIdentity(mul(pt, L))) return 'ed25519 public key is not in the prime-order subgroup';
  return undefined;
}

/**
 * Throws an Error with a one-line reason unless `raw` is a strong Ed25519
 * public key (see {@link ed25519KeyWeakness}). Everything that pins a key
 * goes through it: trust-root files (via `parsePublicKey`), `trust {}` in
 * governance.fms, key files.
 */
export function assertStrongEd25519Key(raw: Uint8Array): void {
  const why = ed25519KeyWeakness(raw);
  if (why) throw new Error(why);
}
