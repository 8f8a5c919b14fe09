import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '@fms/runtime/write-file-atomic';
import type { ImportArtifact, ImportResolver } from '../ir/imports';
import type { Import, Policy } from '../ir/types';

/** `governance.fms` → `governance.fms.lock` beside it. */
export function lockfilePath(source: string): string {
  return source + '.lock';
}

interface Lockfile {
  version: 1;
  imports: Record<string, { sha256: string }>;
}

function readLock(path: string): Lockfile {
  if (!existsSync(path)) return { version: 1, imports: {} };
  const j = JSON.parse(readFileSync(path, 'utf8')) as Lockfile;
  if (j.version !== 1 || typeof j.imports !== 'object') throw new Error(`${path}: not an fms lockfile (version 1)`);
  return j;
}

/**
 * The offline registry: `DIR/<host>/<path>@<version>.fms`, with an optional
 * detached Ed25519 signature beside it (`….fms.sig`, base64). The lockfile's
 * recorded digests are handed to the front end, which compares them.
 */
export function registryResolver(registryDir: string, source: string): ImportResolver {
  const lock = readLock(lockfilePath(source));
  return (imp: Import) => {
    const file = join(registryDir, imp.host, `${imp.path}@${imp.version}.fms`);
    if (!existsSync(file)) return { error: `not found in the registry folder (looked for ${relative(process.cwd(), file) || file})` };
    const bytes = readFileSync(file);
    const art: ImportArtifact = { file, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
    const locked = lock.imports[imp.ref]?.sha256;
    if (locked) art.lockedSha256 = locked;
    if (existsSync(file + '.sig')) art.signature = Buffer.from(readFileSync(file + '.sig', 'utf8').trim(), 'base64');
    return art;
  };
}

/** Records every resolved import's digest in the lockfile (atomic write; unchanged file left alone). */
export function writeLock(source: string, ir: Policy): void {
  if (!ir.imports.length) return;
  const path = lockfilePath(source);
  const lock = readLock(path);
  let changed = false;
  for (const imp of ir.imports) {
    if (!imp.sha256 || lock.imports[imp.ref]?.sha256 === imp.sha256) continue;
    lock.imports[imp.ref] = { sha256: imp.sha256 };
    changed = true;
  }
  if (!changed) return;
  const sorted: Lockfile = { version: 1, imports: Object.fromEntries(Object.entries(lock.imports).sort(([a], [b]) => a.localeCompare(b))) };
  writeFileAtomic(path, JSON.stringify(sorted, null, 2) + '\n');
}

/** The registry folder: flag, then FMS_REGISTRY, then `.fms/registry/` next to the source. */
export function registryDir(flag: string | undefined, source: string): string {
  return resolve(flag ?? process.env.FMS_REGISTRY ?? join(dirname(source), '.fms', 'registry'));
}
