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
  /** The pack name this host expects; a pack of another name is refused (`expected-name`). */
  expectedName?: string;
  /** A deployment id of the trust file's `deployments` map (its `expected_name` must match). */
  deployment?: string;
}

/**
 * Verifies a signed pack against pinned trust roots (and the expected pack
 * name, when `expectedName`, a `deployment` or the trust file sets one), then loads and verifies
 * its body (strict sections, bytecode verifier). Throws `PackRefusal`
 * (signature, trust, rollback, expiry) or `PackError` (body) — never returns a
 * pack that was not verified.
 */
export function loadPack(bytes: Uint8Array, opts: LoadPackOptions): { pack: LoadedPack; verified: VerifiedPack } {
  const vopts: Parameters<typeof verifyPack>[1] = { trust: opts.trust };
  if (opts.rollback) vopts.state = opts.rollback;
  if (opts.now) vopts.now = opts.now;
  if (opts.expectedName !== undefined) vopts.expectedName = opts.expectedName;
  if (opts.deployment !== undefined) vopts.deployment = opts.deployment;
  const verified = verifyPack(bytes, vopts);
  const lopts: Parameters<typeof loadPackBody>[1] = {};
  if (opts.state) lopts.state = opts.state;
  if (opts.clock) lopts.clock = opts.clock;
  // INVARIANT: the body passed here is the one whose SHA-256 the verified manifest names.
  return { pack: loadPackBody(verified.body, lopts), verified };
}
