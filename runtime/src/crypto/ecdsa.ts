/** ECDSA P-256 signature helpers: DER ↔ raw `r||s`, low-S normalisation. */

/** Order of the P-256 group. */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_N = P256_N >> 1n;

function toBig(b: Uint8Array): bigint {
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x;
}

function to32(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/**
 * True when `sig` is 64 bytes `r||s` with 1 ≤ r,s < n and s ≤ n/2 (low-S).
 * Verifiers use it to reject the malleable high-S twin of a signature.
 */
export function isCanonicalLowS(sig: Uint8Array): boolean {
  if (sig.length !== 64) return false;
  const r = toBig(sig.subarray(0, 32));
  const s = toBig(sig.subarray(32));
  return r >= 1n && r < P256_N && s >= 1n && s <= HALF_N;
}

/** Returns `r||s` with s replaced by n − s when s is in the upper half. */
export function normalizeLowS(sig: Uint8Array): Uint8Array {
  if (sig.length !== 64) throw new Error('ecdsa signature must be 64 bytes r||s');
  const r = toBig(sig.subarray(0, 32));
  let s = toBig(sig.subarray(32));
  if (r < 1n || r >= P256_N || s < 1n || s >= P256_N) throw new Error('ecdsa signature out of range');
  if (s > HALF_N) s = P256_N - s;
  const out = new Uint8Array(64);
  out.set(to32(r), 0);
  out.set(to32(s), 32);
  return out;
}

/** Converts a DER `SEQUENCE { INTEGER r, INTEGER s }` into 64-byte `r||s`. */
export function ecdsaDerToRaw(der: Uint8Array): Uint8Array {
  const fail = (): never => {
    throw new Error('malformed der ecdsa signature');
  };
  let p = 0;
  if (der[p++] !== 0x30) fail();
  let len = der[p++] ?? fail();
  if (len === 0x81) len = der[p++] ?? fail();
  else if (len > 0x80) fail();
  if (p + len !== der.length) fail();
  const readInt = (): bigint => {
    if (der[p++] !== 0x02) fail();
    const l = der[p++] ?? fail();
    if (l < 1 || l > 33 || p + l > der.length) fail();
    const v = toBig(der.subarray(p, p + l));
    p += l;
    return v;
  };
  const r = readInt();
  const s = readInt();
  if (p !== der.length) fail();
  if (r >= 1n << 256n || s >= 1n << 256n) fail();
  const out = new Uint8Array(64);
  out.set(to32(r), 0);
  out.set(to32(s), 32);
  return out;
}
