import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { writeFileAtomic } from '@fms/runtime/write-file-atomic';
import { parseImportRef } from '../ir/refs';
import { readRegularFile, RefusedFile } from './safe-read';

/**
 * `governance.fms.lock`: the SHA-256 of every import the stack resolved.
 *
 * ```json
 * { "version": 1, "imports": { "example.com/acme/pay@1.0.0": { "sha256": "<64 hex>" } } }
 * ```
 * Read strictly: any other shape is an error naming the file (never a silent
 * "not locked"). Written atomically, under an exclusive lock file beside it,
 * after re-reading it; entries for refs the stack no longer imports are pruned.
 */
export interface Lockfile {
  /** Canonical ref → hex SHA-256 (a Map: refs are the user's words). */
  imports: Map<string, string>;
}

/** The largest lockfile read (a lock of thousands of imports stays far below it). */
export const MAX_LOCKFILE_BYTES = 1 << 20;

/** A lockfile that cannot be used, with a one-line reason that names it. */
export class LockfileError extends Error {}

/** `governance.fms` → `governance.fms.lock` beside it. */
export function lockfilePath(source: string): string {
  return source + '.lock';
}

const SHA256 = /^[0-9a-f]{64}$/;
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'string' ? `"${v.length > 20 ? v.slice(0, 20) + '…' : v}"` : typeof v);

/** Parses lockfile text; throws {@link LockfileError} naming `path` and the first problem. */
export function parseLockfile(text: string, path: string): Lockfile {
  const fail = (why: string): never => {
    throw new LockfileError(`${path}: ${why}; fix it or delete it and build again without --locked`);
  };
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    return fail(`not valid JSON (${e instanceof Error ? e.message.split('\n')[0] : 'parse error'})`);
  }
  if (!isPlainObject(j)) return fail(`expected an object, found ${typeName(j)}`);
  for (const k of Object.keys(j)) if (k !== 'version' && k !== 'imports') fail(`unknown field \`${k.slice(0, 40)}\` (a lockfile has \`version\` and \`imports\`)`);
  if (j.version !== 1) fail(`\`version\` must be 1, found ${typeName(j.version)}`);
  const imports = j.imports;
  if (!isPlainObject(imports)) return fail(`\`imports\` must be an object, found ${typeName(imports)}`);
  const out = new Map<string, string>();
  for (const ref of Object.keys(imports)) {
    const parsed = parseImportRef(ref);
    if (!parsed.ok) fail(`entry \`${ref.slice(0, 80)}\` is not a canonical import ref`);
    const entry = imports[ref];
    if (!isPlainObject(entry)) return fail(`entry \`${ref}\` must be an object \`{ "sha256": "…" }\`, found ${typeName(entry)}`);
    for (const k of Object.keys(entry)) if (k !== 'sha256') fail(`entry \`${ref}\` has an unknown field \`${k.slice(0, 40)}\``);
    const sha = entry.sha256;
    if (typeof sha !== 'string' || !SHA256.test(sha)) fail(`entry \`${ref}\` has no valid \`sha256\` (64 lower-case hex digits), found ${sha === undefined ? 'nothing' : typeName(sha)}`);
    out.set(ref, sha as string);
  }
  return { imports: out };
}

/** Reads a lockfile; undefined when it does not exist. Throws {@link LockfileError} for anything unusable. */
export function readLockfile(path: string, shownAs: string = path): Lockfile | undefined {
  let bytes: Buffer | undefined;
  try {
    bytes = readRegularFile(path, MAX_LOCKFILE_BYTES);
  } catch (e) {
    if (e instanceof RefusedFile) throw new LockfileError(`${shownAs}: refused: ${e.message}`);
    throw new LockfileError(`${shownAs}: cannot read it (${(e as Error).message})`);
  }
  if (bytes === undefined) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new LockfileError(`${shownAs}: not UTF-8 text; fix it or delete it and build again without --locked`);
  }
  return parseLockfile(text, shownAs);
}

/** The canonical text of a lockfile (sorted by ref, so diffs stay small). */
export function serializeLockfile(lock: Lockfile): string {
  const imports: Record<string, { sha256: string }> = Object.create(null) as Record<string, { sha256: string }>;
  for (const ref of [...lock.imports.keys()].sort()) imports[ref] = { sha256: lock.imports.get(ref)! };
  return JSON.stringify({ version: 1, imports }, null, 2) + '\n';
}

/** How long a writer waits for the lock file, and when a lock file counts as abandoned. */
export const LOCK_WAIT_MS = 10_000;
export const LOCK_STALE_MS = 60_000;

const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** Is the holder recorded in a lock file (`pid host time`) gone or too old? */
function abandoned(lck: string, text: string): boolean {
  const [pid, host] = text.split(' ');
  if (pid && host === hostname() && /^[0-9]+$/.test(pid)) {
    try {
      process.kill(Number(pid), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return true;
    }
  }
  try {
    return Date.now() - statSync(lck).mtimeMs > LOCK_STALE_MS;
  } catch {
    return true;
  }
}

/**
 * Runs `fn` holding `PATH.lck`, an exclusive (O_EXCL) lock file beside the
 * lockfile. Waits up to {@link LOCK_WAIT_MS}; a lock file whose process is gone
 * (same host) or that is older than {@link LOCK_STALE_MS} is removed. Throws
 * {@link LockfileError} naming the lock file when it cannot be taken.
 */
export function withFileLock<T>(path: string, fn: () => T, waitMs = LOCK_WAIT_MS): T {
  const lck = path + '.lck';
  const me = `${process.pid} ${hostname()} ${new Date().toISOString()}\n`;
  const deadline = Date.now() + waitMs;
  let fd: number | undefined;
  for (let delay = 5; fd === undefined; delay = Math.min(delay * 2, 100)) {
    try {
      fd = openSync(lck, 'wx', 0o644);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new LockfileError(`${lck}: cannot create the lock file (${code ?? (e as Error).message})`);
      let held = '';
      try {
        held = readFileSync(lck, 'utf8').slice(0, 200);
      } catch {
        continue; // released between the two calls: try again at once
      }
      if (abandoned(lck, held)) {
        try {
          // Remove it only if it is still the same abandoned holder.
          if (readFileSync(lck, 'utf8').slice(0, 200) === held) unlinkSync(lck);
        } catch {
          // someone else removed it first
        }
        continue;
      }
      if (Date.now() >= deadline) throw new LockfileError(`${path}: another fmsc holds ${lck} (${held.trim() || 'no holder recorded'}); try again, or remove it if no build is running`);
      sleep(delay);
    }
  }
  try {
    writeSync(fd, me);
    closeSync(fd);
    return fn();
  } finally {
    try {
      unlinkSync(lck);
    } catch {
      // already gone (removed as stale by an impatient writer): nothing to release
    }
  }
}

/** One import as this build resolved it. */
export interface Resolved {
  ref: string;
  sha256: string;
}

/** What {@link updateLockfile} changed, one line per change, for the user. */
export type LockChange = { kind: 'created' } | { kind: 'added' | 'pruned'; ref: string };

/** What the lockfile at `path` must become for `resolved`; throws on a ref locked to another digest. */
function plan(path: string, current: Lockfile | undefined, resolved: readonly Resolved[]): { next: Lockfile; changes: LockChange[] } {
  const next: Lockfile = { imports: new Map() };
  if (!current && resolved.length === 0) return { next, changes: [] };
  const changes: LockChange[] = current ? [] : [{ kind: 'created' }];
  for (const r of resolved) {
    const was = current?.imports.get(r.ref);
    if (was !== undefined && was !== r.sha256) {
      throw new LockfileError(`${path}: \`${r.ref}\` is locked to sha256 ${was.slice(0, 16)}…, but this build read ${r.sha256.slice(0, 16)}… (another build changed the lock, or the registry changed); check again`);
    }
    if (was === undefined) changes.push({ kind: 'added', ref: r.ref });
    next.imports.set(r.ref, r.sha256);
  }
  for (const ref of current?.imports.keys() ?? []) if (!next.imports.has(ref)) changes.push({ kind: 'pruned', ref });
  return { next, changes };
}

/**
 * Records exactly `resolved` in the lockfile at `path` (adds new refs, prunes
 * refs no longer imported). When something must change, it takes the file
 * lock, re-reads the lockfile and plans again: if another build locked one of
 * the same refs to a different digest in the meantime, nothing is written and
 * {@link LockfileError} says which ref. An unchanged lockfile is neither locked
 * nor written (a read-only checkout with an up-to-date lock works), and no
 * imports with no lockfile writes nothing.
 */
export function updateLockfile(path: string, resolved: readonly Resolved[]): LockChange[] {
  if (plan(path, readLockfile(path), resolved).changes.length === 0) return [];
  return withFileLock(path, () => {
    const { next, changes } = plan(path, readLockfile(path), resolved);
    if (changes.length) writeFileAtomic(path, serializeLockfile(next));
    return changes;
  });
}
