/**
 * The pack signer interface and the P-256 digest-signer builder live in
 * `@fms/signers` (shared with the runtime's log checkpoints); re-exported
 * here so that compiler modules keep importing them from `./signer`.
 */
export { ecdsaDigestSigner, type Signer } from '@fms/signers';
