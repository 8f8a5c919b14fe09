import { hash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PackRefusal } from './refusal';
import { writeFileAtomic } from '../util/write-file-atomic';

/** The newest pack seen for a name. */
export interface HighWaterMark {
  serial: number;
  /** SHA-256 (hex) of the signed manifest bytes: covers body digest, expiry and serial. */
  manifest_sha256: string;
  body_sha256: string;
}

/** Persisted rollback protection, one high-water mark per pack name. */
export interface RollbackStore {
  get(name: string): HighWaterMark | undefined;
  put(name: string, mark: HighWaterMark): void;
}

/** A store that lives as long as the process (tests, libraries embedding the runtime). */
export class MemoryRollbackStore implements RollbackStore {
  private readonly marks = new Map<string, HighWaterMark>();
  get(name: string): HighWaterMark | undefined {
    const m = this.marks.get(name);
    return m && { ...m };
  }
  put(name: string, mark: HighWaterMark): void {
    this.marks.set(name, { ...mark });
  }
}

/**
 * Default state directory: `$FMS_STATE_DIR`, else `$XDG_STATE_HOME/fms`,
 * else `~/.local/state/fms`.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FMS_STATE_DIR) return env.FMS_STATE_DIR;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, 'fms');
  return join(homedir(), '.local', 'state', 'fms');
}

/** The file holding the rollback mark of pack `name` under `stateDir` (what to delete to reset it). */
export function rollbackMarkFile(stateDir: string, name: string): string {
  return join(stateDir, 'rollback', hash('sha256', name, 'hex') + '.json');
}

/**
 * File-backed store: `<dir>/rollback/<sha256(name)>.json`, written atomically
 * (temp file in the same directory, fsync, rename, fsync of the directory).
 * An unreadable or corrupt mark refuses (fail closed) rather than resetting.
 */
export class FileRollbackStore implements RollbackStore {
  readonly dir: string;
  constructor(stateDir: string = defaultStateDir()) {
    this.dir = join(stateDir, 'rollback');
  }

  private fileFor(name: string): string {
    return rollbackMarkFile(join(this.dir, '..'), name);
  }

  get(name: string): HighWaterMark | undefined {
    const file = this.fileFor(name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new PackRefusal('state', `cannot read rollback state \`${file}\`: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    try {
      const v = JSON.parse(text) as Record<string, unknown>;
      if (
        v.name === name &&
        typeof v.serial === 'number' &&
        Number.isSafeInteger(v.serial) &&
        typeof v.manifest_sha256 === 'string' &&
        typeof v.body_sha256 === 'string'
      )
        return { serial: v.serial, manifest_sha256: v.manifest_sha256, body_sha256: v.body_sha256 };
    } catch {
      /* fall through */
    }
    throw new PackRefusal('state', `corrupt rollback state \`${file}\` (refusing rather than forgetting it)`);
  }

  put(name: string, mark: HighWaterMark): void {
    const file = this.fileFor(name);
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileAtomic(file, JSON.stringify({ name, ...mark }) + '\n', { mode: 0o600, syncDir: true });
    } catch (e) {
      throw new PackRefusal('state', `cannot write rollback state in \`${this.dir}\`: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
}
