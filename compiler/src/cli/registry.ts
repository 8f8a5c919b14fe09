import { createHash } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { ImportArtifact, ImportResolver } from '../ir/imports';
import { importProblem } from '../ir/refs';
import type { Import, Policy } from '../ir/types';
import { lockfilePath, LockfileError, readLockfile, updateLockfile, type LockChange, type Lockfile } from './lockfile';
import { readRegularFile, RefusedFile } from './safe-read';

export { lockfilePath } from './lockfile';

/** The largest package file read from the registry (README "Supply chain"). */
export const MAX_PACKAGE_BYTES = 1 << 20;
/** The largest signature file read beside a package. */
export const MAX_SIGNATURE_BYTES = 64 << 10;

/** How the CLI resolves imports. */
export interface ResolverOptions {
  /**
   * Locked mode (`--locked`, default under CI=true): every import must be in
   * the lockfile already, and a missing lockfile is an error.
   */
  locked?: boolean;
  /** The lockfile to check against (default: `lockfilePath(source)`). */
  lockfile?: string;
}

/** What a resolver says when it refuses an import: FMS2022 unless `code` says otherwise. */
export interface ResolveRefusal {
  error: string;
  code?: string;
  help?: string;
}

const REFUSED_HELP = 'a package is a regular file inside the registry folder, at most 1 MiB; symbolic links may not lead out of it';

/** Is locked mode on? The flag when given, else on when CI is `true` or `1`. */
export function lockedMode(flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag !== undefined) return flag;
  const ci = (env.CI ?? '').toLowerCase();
  return ci === 'true' || ci === '1';
}

/**
 * The offline registry: `DIR/<host>/<path>@<version>.fms`, with an optional
 * detached signature beside it (`….fms.sig`). Only canonical refs are looked
 * up; each file must be a regular file whose real path is inside the
 * registry's real path, read without blocking (no FIFO can hang a build) and
 * with a size bound. The lockfile's digests are handed to the front end, which
 * compares them; a malformed lockfile, and in locked mode a missing entry, is
 * an error on every import (never a silent "not locked").
 */
export function registryResolver(registryDir: string, source: string, opts: ResolverOptions = {}): ImportResolver {
  const lockPath = opts.lockfile ?? lockfilePath(source);
  const lockShown = relative(process.cwd(), lockPath) || lockPath;
  let lock: Lockfile | undefined;
  let lockError: string | undefined;
  try {
    lock = readLockfile(lockPath, lockShown);
  } catch (e) {
    if (!(e instanceof LockfileError)) throw e;
    lockError = e.message;
  }
  let root: string | undefined;
  let rootError: string | undefined;
  try {
    root = realpathSync(registryDir);
    if (!statSync(root).isDirectory()) rootError = `the registry \`${registryDir}\` is not a folder`;
  } catch {
    rootError = `the registry folder \`${relative(process.cwd(), registryDir) || registryDir}\` does not exist`;
  }
  return (imp: Import): ImportArtifact | ResolveRefusal => {
    if (lockError) return { error: lockError, code: 'FMS2075', help: 'a lockfile is `{"version": 1, "imports": {"host/path@1.2.3": {"sha256": "<64 hex>"}}}`' };
    const bad = importProblem(imp) ?? (imp.ref === `${imp.host}/${imp.path}@${imp.version}` ? undefined : 'its ref and its parts disagree');
    if (bad) return { error: bad, code: 'FMS2070' };
    const locked = lock?.imports.get(imp.ref);
    if (opts.locked && locked === undefined) {
      return {
        error: lock ? `locked mode: \`${lockShown}\` has no entry for it` : `locked mode: the lockfile \`${lockShown}\` does not exist`,
        code: 'FMS2074',
        help: 'run `fmsc check --no-locked` (or build without --locked) where you trust the registry, review and commit the lockfile',
      };
    }
    const rel = join(imp.host, `${imp.path}@${imp.version}.fms`);
    const shown = relative(process.cwd(), join(registryDir, rel)) || join(registryDir, rel);
    if (rootError) return { error: `${rootError} (looked for ${shown})` };
    let bytes: Buffer | undefined;
    let sig: Buffer | undefined;
    try {
      bytes = readRegularFile(join(root!, rel), MAX_PACKAGE_BYTES, root);
      if (bytes === undefined) return { error: `not found in the registry folder (looked for ${shown})` };
      sig = readRegularFile(join(root!, rel + '.sig'), MAX_SIGNATURE_BYTES, root);
    } catch (e) {
      if (e instanceof RefusedFile) return { error: `\`${shown}${bytes ? '.sig' : ''}\` is refused: ${e.message}`, code: 'FMS2073', help: REFUSED_HELP };
      throw e;
    }
    const art: ImportArtifact = { file: join(registryDir, rel), bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
    if (locked !== undefined) art.lockedSha256 = locked;
    if (sig) art.signature = Buffer.from(sig.toString('utf8').trim(), 'base64');
    return art;
  };
}

/**
 * Records every resolved import's digest in the lockfile and prunes refs the
 * stack no longer imports (atomic write under a file lock; an unchanged file is
 * left alone). Returns what changed. Throws {@link LockfileError} when the
 * lockfile is malformed or another build locked a ref differently meanwhile.
 */
export function writeLock(source: string, ir: Policy): LockChange[] {
  const resolved = ir.imports.filter((i) => i.sha256).map((i) => ({ ref: i.ref, sha256: i.sha256! }));
  return updateLockfile(lockfilePath(source), resolved);
}

/** Locked mode: lockfile entries for refs the stack no longer imports (the lock is outdated). */
export function staleLockEntries(source: string, ir: Policy): string[] {
  const lock = readLockfile(lockfilePath(source));
  if (!lock) return [];
  const imported = new Set(ir.imports.map((i) => i.ref));
  return [...lock.imports.keys()].filter((r) => !imported.has(r));
}

/**
 * The registry folder: `--registry`, then `FMS_REGISTRY` (empty counts as
 * unset), then `.fms/registry/` next to the source (stdin: the current folder).
 */
export function registryDir(flag: string | undefined, source: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.FMS_REGISTRY === '' ? undefined : env.FMS_REGISTRY;
  return resolve(flag ?? fromEnv ?? join(source === '-' ? '.' : dirname(source), '.fms', 'registry'));
}
