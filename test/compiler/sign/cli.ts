// Spawns the real CLI entry points (through tsx) for CLI tests.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `fmsc` or `fms-run` with args; env is merged over process.env with
 * NO_COLOR=1. Asynchronous, so HTTP doubles in this process keep answering.
 */
export function runCli(cli: 'fmsc' | 'fms-run', args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const entry = cli === 'fmsc' ? 'compiler/src/cli/fmsc.ts' : 'runtime/src/cli/fms-run.ts';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, entry), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', FMS_TRUST: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
