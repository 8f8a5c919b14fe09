/**
 * `@fms/runtime/daemon`: the decision daemon of `fms-run serve` as a library
 * (Node built-ins only, no CLI libraries): the server, the JSON-lines
 * protocol, approvals, the hash-chained decision log with signed
 * checkpoints, its verifier, and the checkpoint `Signer` (`file:` Ed25519 keys here; PKCS#11 and cloud KMS keys through the optional `@fms/signers`).
 */
export { DecisionServer, DaemonError, type DecisionServerOptions, type ServedPack, type PackLoader, type ReloadResult } from './server';
export { parseRequest, isRequestError, errorLine, decisionLine, DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_PENDING_BYTES, MAX_ID_LENGTH, NOT_READY_RETRY_MS } from './protocol';
export type { DecisionRequest, RequestError, ProtocolErrorCode, RequestId } from './protocol';
export { DecisionLog, DecisionLogError, CHECKPOINT_PAYLOAD_TYPE, GENESIS_HASH, LOG_FORMAT, lineHash, rotatedFiles, type DecisionLogOptions, type FsyncPolicy } from './decision-log';
export { verifyLog, type LogVerifyResult } from './log-verify';
export { ApprovalTable, callFingerprint, DEFAULT_APPROVAL_TTL_MS, MAX_APPROVALS, type Approval, type ApprovalStatus } from './approvals';
export { signerFromUri, openSigner, fileSigner, SignerError, STORE_SCHEMES, type Signer, type SignersLoader } from './signer';
export { DecisionClient, adminRequest, MAX_ANSWER_BYTES, type DecisionRequestBody, type DecisionResponse } from './client';
