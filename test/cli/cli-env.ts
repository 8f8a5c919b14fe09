// Runs the bundled CLIs (dist/, `npm run build`) with a controlled
// environment for the signing and trust-file tests: a scratch FMS_HOME and
// state dir, no inherited CI, trust, pack-name or passphrase variables.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths';

export const FMSC = join(ROOT, 'dist', 'fmsc.mjs');
export const FMS_RUN = join(ROOT, 'dist', 'fms-run.mjs');
export const EXAMPLE = join(ROOT, 'examples', 'support-bot', 'governance.fms');

/** A scratch folder for one test file. */
export function scratch(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The base environment: inherited PATH etc., nothing that changes signing or verification. */
export function baseEnv(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', FMS_HOME: join(dir, 'home'), FMS_STATE_DIR: join(dir, 'state'), CI: '', FMS_TRUST: '', FMS_PACK_NAME: '', FMS_DEPLOYMENT: '' };
  delete env.FMS_KEY_PASSWORD;
  delete env.SOURCE_DATE_EPOCH;
  return { ...env, ...extra };
}

/** Runs `dist/<bin>` with `args` in `dir` (stdin not a terminal). */
export function run(bin: string, args: string[], dir: string, extra: NodeJS.ProcessEnv = {}, input = ''): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: baseEnv(dir, extra), input, timeout: 60_000 });
}

/** `exit N` + both streams, for assertion messages. */
export const show = (r: SpawnSyncReturns<string>): string => `exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** The lines of stderr that are not empty. */
export const errLines = (r: SpawnSyncReturns<string>): string[] => r.stderr.split('\n').filter((l) => l.trim() !== '');
