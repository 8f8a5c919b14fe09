/** Pack signing: manifest + DSSE + container, local and KMS signers. */
export { createSignedPack, createUnsignedPack, addSignature, readPackUnverified, DEFAULT_COMPILER, DEFAULT_VALIDITY_SECONDS } from './create-pack';
export type { SignedPackInput, UnsignedPackInput, UnverifiedPack } from './create-pack';
export { localEd25519Signer, devKeySigner, generateKeyFile, trustEntryFor, fmsHome } from './local-key';
export type { DevKeySigner, GeneratedKey, TrustKeyEntry } from './local-key';
export { kmsSigner, KMS_SCHEMES } from './kms-signer';
export type { Signer } from './signer';
