/**
 * The runtime library API.
 *
 * `loadPackBody(body, {state, clock})` loads an (already trusted) pack body;
 * the signed-container path (`loadPack(bytes, {trust, state})`) composes it
 * with the trust module's verification.
 */
export { loadPackBody, LoadedPack, type LoadOptions } from './vm/loaded-pack';
export { decideJson } from './decide';
export { PackError } from './pack/format';
export { MemoryState, ManualClock, systemClock, type StateStore, type Clock, type TokenBucket, type BudgetCounter, type SessionState, type HistoryEntry } from './state/store';
export type { Call, Decision, DecisionCode, DecisionEffect, DecisionWarning, Explanation, Resolution, TraceEvent, ConditionStep } from './vm/types';
export { loadPack, type LoadPackOptions } from './load-pack';
export { verifyPack, loadTrustRoots, parseTrustRoots, MemoryRollbackStore, FileRollbackStore, PackRefusal } from './trust/verify';
