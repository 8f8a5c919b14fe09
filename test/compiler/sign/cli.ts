// Spawns the real CLI entry points (through tsx) for CLI tests.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `fmsc` or `fms-run` with args; env is merged over process.env with NO_COLOR=1. */
export function runCli(cli: 'fmsc' | 'fms-run', args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const entry = cli === 'fmsc' ? 'compiler/src/cli/fmsc.ts' : 'runtime/src/cli/fms-run.ts';
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, entry), ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', FMS_TRUST: '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
