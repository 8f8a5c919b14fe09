import { createHash, createPublicKey } from 'node:crypto';
import { ecdsaDerToRaw, normalizeLowS, verifySignature } from '@fms/runtime/crypto';
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
 * returns a DER `ECDSA-Sig-Value` or a raw 64-byte `r||s`, as `encoding`
 * says (the key store's documented form; `auto`, for stores that do not
 * say, takes exactly 64 bytes as raw). The result is normalised to 64-byte
 * low-S and verified against `spki` before it is returned: a signature by
 * any other key (an alias re-pointed between reading the key and signing, a
 * wrong answer) is an error, never a pack or checkpoint signature.
 */
export function ecdsaDigestSigner(
  spki: Uint8Array,
  description: string,
  signDigest: (digest: Uint8Array) => Promise<Uint8Array>,
  close?: () => Promise<void> | void,
  encoding: 'der' | 'raw' | 'auto' = 'auto',
): Signer {
  const info = parsePublicKey(spki);
  if (info.algorithm !== 'ecdsa-p256-sha256') throw new Error(`${description}: expected a p-256 key, got ${info.algorithm}`);
  const key = createPublicKey({ key: Buffer.from(info.spki), format: 'der', type: 'spki' });
  return {
    algorithm: 'ecdsa-p256-sha256',
    publicKeySpki: info.spki,
    keyId: keyIdOf(info.spki),
    description,
    async sign(message) {
      const digest = new Uint8Array(createHash('sha256').update(message).digest());
      const out = await signDigest(digest);
      if (!(out instanceof Uint8Array)) throw new Error(`${description}: the key store returned no signature`);
      let raw: Uint8Array;
      if (encoding === 'raw' || (encoding === 'auto' && out.length === 64)) {
        if (out.length !== 64) throw new Error(`${description}: the key store returned a ${out.length}-byte signature, 64 expected`);
        raw = out;
      } else {
        try {
          raw = ecdsaDerToRaw(out);
        } catch {
          throw new Error(`${description}: the key store returned a signature that is not DER ECDSA`);
        }
      }
      let sig: Uint8Array;
      try {
        sig = normalizeLowS(raw);
      } catch {
        throw new Error(`${description}: the key store returned an out-of-range ecdsa signature`);
      }
      if (!verifySignature('ecdsa-p256-sha256', key, message, sig)) throw new Error(`${description}: the key store's signature does not verify with the key's public key`);
      return sig;
    },
    ...(close ? { close } : {}),
  };
}

/**
 * Builds an Ed25519 signer around a function that signs the message itself
 * (pure Ed25519, 64 bytes); each signature is verified against `spki`
 * before it is returned, as for {@link ecdsaDigestSigner}.
 */
export function ed25519Signer(
  spki: Uint8Array,
  description: string,
  signMessage: (message: Uint8Array) => Promise<Uint8Array>,
  close?: () => Promise<void> | void,
): Signer {
  const info = parsePublicKey(spki);
  if (info.algorithm !== 'ed25519') throw new Error(`${description}: expected an ed25519 key, got ${info.algorithm}`);
  const key = createPublicKey({ key: Buffer.from(info.spki), format: 'der', type: 'spki' });
  return {
    algorithm: 'ed25519',
    publicKeySpki: info.spki,
    keyId: keyIdOf(info.spki),
    description,
    async sign(message) {
      const sig = await signMessage(message);
      if (!(sig instanceof Uint8Array) || sig.length !== 64) throw new Error(`${description}: the key store returned no 64-byte ed25519 signature`);
      if (!verifySignature('ed25519', key, message, sig)) throw new Error(`${description}: the key store's signature does not verify with the key's public key`);
      return sig;
    },
    ...(close ? { close } : {}),
  };
}
