import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { isCanonicalLowS } from './ecdsa';
import type { SigAlgorithm } from './keys';

/**
 * Verifies a 64-byte signature over `message` with an algorithm chosen by the
 * caller (from the trust file, never from the pack): pure Ed25519, or ECDSA
 * P-256 over SHA-256(message) as low-S `r||s`. Never throws.
 */
export function verifySignature(algorithm: SigAlgorithm, key: KeyObject, message: Uint8Array, sig: Uint8Array): boolean {
  if (sig.length !== 64) return false;
  try {
    if (algorithm === 'ed25519') return key.asymmetricKeyType === 'ed25519' && cryptoVerify(null, message, key, sig);
    if (key.asymmetricKeyType !== 'ec' || !isCanonicalLowS(sig)) return false;
    return cryptoVerify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}
