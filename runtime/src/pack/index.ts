/**
 * `@fms/runtime/format`: the bytes of a policy pack (DESIGN §4), one
 * definition that the compiler's emitter and signer and the runtime's loader
 * all import.
 *
 * - container: magic, version, envelope, body (`encodeContainer`, `decodeContainer`);
 * - the DSSE envelope and the signed manifest (`encodeEnvelope`, `pae`, `encodeManifest`, …);
 * - the body: section table, opcodes, enum tables, limits, CRC-32, the body
 *   model and its writer and strict reader, and the bytecode verifier the
 *   loader runs (`verifyBytecode`).
 */
export * from './format';
export type * from './body-model';
export { writeBody } from './body-writer';
export { readBody, type ReadBodyOptions } from './body-reader';
export * from './container';
export * from '../trust/dsse';
export * from '../trust/manifest';
export { verifyBytecode, type Program } from '../vm/verify';
/** Canonical JSON: the bytes of every signed DSSE payload (manifests, package statements). */
export * from '../trust/canonical-json';
/** Egress host patterns are stored in the pack in the canonical form the runtime compares. */
export { canonicalHostPattern } from '../vm/egress';
