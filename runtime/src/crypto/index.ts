/**
 * `@fms/runtime/crypto`: key and signature encodings as the verifier reads
 * them, so that every signer (the compiler's local keys, KMS and PKCS#11
 * adapters) produces exactly what verification accepts.
 *
 * Key ids (`keyIdOf`: `sha256:` + hex of the DER SPKI), SPKI builders and
 * the public-key parser, the Ed25519 key-strength check (small-order and
 * non-canonical keys refused wherever a key is pinned), ECDSA P-256 DER → raw `r||s` with low-S
 * normalisation, signature verification, the reader of Ed25519 key files
 * (plain or passphrase-encrypted), and the base64 codecs used for key
 * material and KMS responses.
 */
export * from './base64';
export * from './keys';
export * from './ecdsa';
export * from './verify-signature';
export * from './ed25519-key-strength';
export * from './key-file';
