import { ioErrorMessage } from '../util/io-error';
import { readFileSync } from 'node:fs';
import { PackRefusal } from './refusal';
import { defaultStateDir, FileRollbackStore, type RollbackStore } from './rollback-store';
import { loadTrustRoots, type TrustRoots } from './trust-roots';
import { verifyPack, type VerifiedPack } from './verify';

/** A usage or I/O problem before verification could start (exit code 2). */
export class TrustUsageError extends Error {
  readonly exitCode = 2;
}

/** `--trust` flag, else `FMS_TRUST`; there is no default (no "unsigned is fine" path). */
export function resolveTrustPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const p = flag ?? env.FMS_TRUST;
  if (!p) throw new TrustUsageError('no trust roots: pass `--trust FILE` or set `FMS_TRUST`');
  return p;
}

/** An environment value, or undefined when unset or empty. */
function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** Options of {@link verifyPackFile}. */
export interface VerifyPackFileOptions {
  /** Trust file path from a flag; falls back to `FMS_TRUST`. */
  trust?: string;
  /** Rollback state directory; `false` disables rollback state; default {@link defaultStateDir}. */
  stateDir?: string | false;
  now?: Date;
  env?: NodeJS.ProcessEnv;
  /** Expected pack name from a flag; falls back to `FMS_PACK_NAME`. */
  name?: string;
  /** Deployment id from a flag; falls back to `FMS_DEPLOYMENT`. */
  deployment?: string;
}

/**
 * Reads a pack file and its trust file and runs {@link verifyPack}, for CLI
 * commands (`fms-run verify|eval|serve|exec`, `fmsc verify`). The expected
 * pack name comes from `name` (`--name`), else `FMS_PACK_NAME`; the
 * deployment from `deployment` (`--deployment`), else `FMS_DEPLOYMENT`.
 * Returns the verified pack, the trust file's path and the trust roots it
 * was verified against (for provenance reports).
 *
 * @throws TrustUsageError (exit 2) for missing flags or unreadable files,
 *   PackRefusal (exit 3) for every verification failure
 */
export function verifyPackFile(packPath: string, opts: VerifyPackFileOptions = {}): VerifiedPack & { trustPath: string; trust: TrustRoots } {
  const env = opts.env ?? process.env;
  const trustPath = resolveTrustPath(opts.trust, env);
  let trust;
  try {
    trust = loadTrustRoots(trustPath);
  } catch (e) {
    if (e instanceof PackRefusal) throw e;
    throw new TrustUsageError((e as Error).message);
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(packPath);
  } catch (e) {
    throw new TrustUsageError(ioErrorMessage('read', packPath, e, 'pack'));
  }
  let state: RollbackStore | undefined;
  if (opts.stateDir !== false) state = new FileRollbackStore(opts.stateDir ?? defaultStateDir(env));
  const expectedName = opts.name ?? nonEmpty(env.FMS_PACK_NAME);
  const deployment = opts.deployment ?? nonEmpty(env.FMS_DEPLOYMENT);
  const v = verifyPack(bytes, {
    trust,
    ...(state ? { state } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(expectedName !== undefined ? { expectedName } : {}),
    ...(deployment !== undefined ? { deployment } : {}),
  });
  return { ...v, trustPath, trust };
}
