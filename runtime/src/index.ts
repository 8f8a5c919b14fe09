/**
 * `@fms/runtime`: the runtime library API (what an agent host embeds).
 *
 * `loadPack(bytes, {trust, rollback, state})` verifies a signed pack against
 * pinned trust roots and loads its body; `pack.decide(call)` answers a tool
 * call with the documented payload, `pack.explain(call)` with the trace.
 * `loadPackBody(body, {state, clock})` loads an (already trusted) pack body.
 *
 * This entry imports nothing but Node built-ins and `re2js`: no compiler, no
 * CLI libraries (a test over the import graph keeps it so).
 */
export { loadPackBody, LoadedPack, type LoadOptions } from './vm/loaded-pack';
export { decideJson } from './decide';
/**
 * Whether a `matches` pattern (RE2 syntax) is proven linear-time and
 * equivalent on the built-in `RegExp`, and its JS source; null when not.
 * The compiler's regex check uses it to skip the costly `re2js` compile for
 * such patterns (an accepted pattern is valid RE2).
 */
export { safeRegExpSource } from './vm/regex-safety';
export { PackError } from './pack/format';
export { MemoryState, ManualClock, systemClock, type StateStore, type Clock, type TokenBucket, type BudgetCounter, type SessionState, type HistoryEntry } from './state/store';
export type { Call, Decision, DecisionCode, DecisionEffect, DecisionWarning, Explanation, Resolution, TraceEvent, ConditionStep } from './vm/types';
export { loadPack, type LoadPackOptions } from './load-pack';
export { verifyPack, loadTrustRoots, parseTrustRoots, MemoryRollbackStore, FileRollbackStore, PackRefusal } from './trust/verify';
export type { VerifyOptions, VerifiedPack } from './trust/verify';
export type { TrustRoots, TrustedKey, TrustScope } from './trust/trust-roots';
export type { RollbackStore, HighWaterMark } from './trust/rollback-store';
export type { RefusalCode } from './trust/refusal';
export type { PackManifest } from './trust/manifest';
