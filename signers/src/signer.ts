import { createHash } from 'node:crypto';
import { ecdsaDerToRaw, normalizeLowS } from '@fms/runtime/crypto';
import { keyIdOf, parsePublicKey, type SigAlgorithm } from '@fms/runtime/crypto';

/**
 * Something that can sign a pack manifest. Private key material never
 * appears on this object: local signers keep it in a closure, KMS signers in
 * their key store.
 */
export interface Signer {
  readonly algorithm: SigAlgorithm;
  /** DER SubjectPublicKeyInfo of the signing key (canonical form). */
  readonly publicKeySpki: Uint8Array;
  /** `sha256:` + hex SHA-256 of `publicKeySpki`. */
  readonly keyId: string;
  /** Where the key lives, for humans; never contains secrets. */
  readonly description: string;
  /**
   * Signs the DSSE PAE bytes: pure Ed25519 over the bytes, or ECDSA P-256
   * over SHA-256 of the bytes, returned as 64-byte low-S `r||s`.
   */
  sign(message: Uint8Array): Promise<Uint8Array>;
  /** Releases sessions or handles, if any. */
  close?(): Promise<void> | void;
}

/**
 * Builds a P-256 signer around a function that signs a SHA-256 digest and
 * returns DER or raw `r||s` (whatever the key store gives); the result is
 * normalised to 64-byte low-S.
 */
export function ecdsaDigestSigner(
  spki: Uint8Array,
  description: string,
  signDigest: (digest: Uint8Array) => Promise<Uint8Array>,
  close?: () => Promise<void> | void,
): Signer {
  const info = parsePublicKey(spki);
  if (info.algorithm !== 'ecdsa-p256-sha256') throw new Error(`${description}: expected a p-256 key, got ${info.algorithm}`);
  return {
    algorithm: 'ecdsa-p256-sha256',
    publicKeySpki: info.spki,
    keyId: keyIdOf(info.spki),
    description,
    async sign(message) {
      const digest = new Uint8Array(createHash('sha256').update(message).digest());
      const out = await signDigest(digest);
      const raw = out.length === 64 ? out : ecdsaDerToRaw(out);
      return normalizeLowS(raw);
    },
    ...(close ? { close } : {}),
  };
}
