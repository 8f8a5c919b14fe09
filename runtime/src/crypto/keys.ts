import { createPublicKey, hash, type KeyObject } from 'node:crypto';
import { ed25519KeyWeakness } from './ed25519-key-strength';

/** Signature algorithms a trust root can pin (DESIGN §5). */
export type SigAlgorithm = 'ed25519' | 'ecdsa-p256-sha256';

/** The algorithms, for validation and help text. */
export const SIG_ALGORITHMS: readonly SigAlgorithm[] = ['ed25519', 'ecdsa-p256-sha256'];

/** A public key parsed from its DER SubjectPublicKeyInfo. */
export interface PublicKeyInfo {
  /** Algorithm implied by the key material itself. */
  algorithm: SigAlgorithm;
  /** Canonical DER SPKI (as node:crypto re-exports it; EC points uncompressed). */
  spki: Uint8Array;
  /** `sha256:` + hex SHA-256 of `spki`. */
  keyId: string;
  /** Ready for `crypto.verify`. */
  keyObject: KeyObject;
}

const ED25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

/** DER SPKI for an uncompressed (65-byte, `04 x y`) P-256 point. */
export function p256Spki(point: Uint8Array): Uint8Array {
  if (point.length !== 65 || point[0] !== 4) throw new Error('p-256 point must be 65 bytes uncompressed');
  return new Uint8Array(Buffer.concat([P256_SPKI_PREFIX, point]));
}

function hasEd25519Prefix(der: Uint8Array): boolean {
  for (let i = 0; i < ED25519_SPKI_PREFIX.length; i++) if (der[i] !== ED25519_SPKI_PREFIX[i]) return false;
  return true;
}

/** DER SPKI for a raw 32-byte Ed25519 public key. */
export function ed25519Spki(raw: Uint8Array): Uint8Array {
  if (raw.length !== 32) throw new Error('ed25519 public key must be 32 bytes');
  const out = new Uint8Array(44);
  out.set(ED25519_SPKI_PREFIX, 0);
  out.set(raw, 12);
  return out;
}

/** `sha256:` + hex of SHA-256 over DER SPKI bytes. */
export function keyIdOf(spki: Uint8Array): string {
  // One-shot `hash`: a fresh process's first SHA-256 costs half of what `createHash` does.
  return 'sha256:' + hash('sha256', spki, 'hex');
}

/**
 * Parses a DER SPKI (or PEM `PUBLIC KEY`) into a canonical form. Only Ed25519
 * and P-256 keys are accepted; anything else throws with a one-line message.
 * Weak Ed25519 keys (small-order, mixed-order, non-canonical: see
 * `ed25519KeyWeakness`) are refused, so no caller can pin one.
 */
export function parsePublicKey(input: Uint8Array | string): PublicKeyInfo {
  // The canonical Ed25519 SPKI (what trust files and `fmsc pubkey` hold) is the fixed 12-byte prefix and
  // the raw key: no re-export is needed to canonicalise it (a fresh process saved ~0.35 ms per key).
  if (typeof input !== 'string' && input.length === 44 && hasEd25519Prefix(input)) {
    const why = ed25519KeyWeakness(input.subarray(12));
    if (why) throw new Error(why);
    let keyObject: KeyObject;
    try {
      // The raw key as a JWK: node:crypto makes it without OpenSSL's DER decoder search (~0.1 ms less, first use).
      keyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(input.subarray(12)).toString('base64url') }, format: 'jwk' });
    } catch {
      throw new Error('public key is not a valid spki');
    }
    // INVARIANT: the key is the Ed25519 key the 44 bytes encode.
    if (keyObject.asymmetricKeyType !== 'ed25519') throw new Error(`unsupported public key type \`${keyObject.asymmetricKeyType ?? 'unknown'}\``);
    const spki = Uint8Array.from(input);
    return { algorithm: 'ed25519', spki, keyId: keyIdOf(spki), keyObject };
  }
  let keyObject: KeyObject;
  try {
    keyObject =
      typeof input === 'string'
        ? createPublicKey({ key: input, format: 'pem' })
        : createPublicKey({ key: Buffer.from(input), format: 'der', type: 'spki' });
  } catch {
    throw new Error('public key is not a valid spki');
  }
  let algorithm: SigAlgorithm;
  if (keyObject.asymmetricKeyType === 'ed25519') algorithm = 'ed25519';
  else if (keyObject.asymmetricKeyType === 'ec' && keyObject.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    algorithm = 'ecdsa-p256-sha256';
  else throw new Error(`unsupported public key type \`${keyObject.asymmetricKeyType ?? 'unknown'}\``);
  let spki: Uint8Array;
  if (algorithm === 'ed25519') {
    spki = new Uint8Array(keyObject.export({ format: 'der', type: 'spki' }));
    // INVARIANT: node exports Ed25519 SPKI as the 12-byte prefix + the raw key as given.
    const why = ed25519KeyWeakness(spki.subarray(12));
    if (why) throw new Error(why);
  }
  else {
    // Canonical form is the uncompressed point, whatever encoding came in.
    const jwk = keyObject.export({ format: 'jwk' });
    const x = Buffer.from(jwk.x ?? '', 'base64url');
    const y = Buffer.from(jwk.y ?? '', 'base64url');
    if (x.length !== 32 || y.length !== 32) throw new Error('p-256 public key has a malformed point');
    spki = new Uint8Array(Buffer.concat([P256_SPKI_PREFIX, Buffer.from([4]), x, y]));
  }
  return { algorithm, spki, keyId: keyIdOf(spki), keyObject };
}
