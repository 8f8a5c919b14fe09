import type { Clock, StateStore } from './state/store';
import { verifyPack, type VerifiedPack } from './trust/verify';
import type { RollbackStore } from './trust/rollback-store';
import type { TrustRoots } from './trust/trust-roots';
import { loadPackBody, type LoadedPack } from './vm/loaded-pack';

export interface LoadPackOptions {
  /** Pinned trust roots (from `loadTrustRoots(path)`); there is no unsigned path. */
  trust: TrustRoots;
  /** Rollback high-water marks (`FileRollbackStore` in production). */
  rollback?: RollbackStore;
  /** Decision state: counters, buckets, session history (in memory by default). */
  state?: StateStore;
  clock?: Clock;
  now?: Date;
}

/**
 * Verifies a signed pack against pinned trust roots, then loads and verifies
 * its body (strict sections, bytecode verifier). Throws `PackRefusal`
 * (signature, trust, rollback, expiry) or `PackError` (body) — never returns a
 * pack that was not verified.
 */
export function loadPack(bytes: Uint8Array, opts: LoadPackOptions): { pack: LoadedPack; verified: VerifiedPack } {
  const vopts: Parameters<typeof verifyPack>[1] = { trust: opts.trust };
  if (opts.rollback) vopts.state = opts.rollback;
  if (opts.now) vopts.now = opts.now;
  const verified = verifyPack(bytes, vopts);
  const lopts: Parameters<typeof loadPackBody>[1] = {};
  if (opts.state) lopts.state = opts.state;
  if (opts.clock) lopts.clock = opts.clock;
  // INVARIANT: the body passed here is the one whose SHA-256 the verified manifest names.
  return { pack: loadPackBody(verified.body, lopts), verified };
}
