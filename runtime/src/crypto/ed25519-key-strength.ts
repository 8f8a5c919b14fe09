/**
 * Strength checks for pinned Ed25519 public keys (the runtime carries no
 * curve library; verification itself is node:crypto). The arithmetic runs in
 * a small WebAssembly module (ed25519-wasm.ts), with the BigInt
 * implementation (ed25519-key-strength-bigint.ts) as the fallback when
 * WebAssembly is unavailable: same checks, same answers.
 */
import { ed25519KeyClassBigInt } from './ed25519-key-strength-bigint';
import { ed25519KeyClassWasm } from './ed25519-wasm';

/** The refusal of each key class (index = class; 0 is strong). */
const REASONS: readonly (string | undefined)[] = [
  undefined,
  'ed25519 public key is not canonically encoded (y ≥ 2^255 − 19)',
  'ed25519 public key is not a canonically encoded curve point',
  'ed25519 public key is a small-order point (it would accept forged signatures)',
  'ed25519 public key is not in the prime-order subgroup',
];

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
  // Issue 15: this runs on every fms-run start-up (trust roots are pinned when
  // parsed). WebAssembly is fast in a cold process; when it is unavailable the
  // BigInt implementation answers (fail closed: never "strong" by default).
  const c = ed25519KeyClassWasm(raw) ?? ed25519KeyClassBigInt(raw);
  return REASONS[c];
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
