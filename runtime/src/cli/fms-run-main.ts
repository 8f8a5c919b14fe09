import { Command } from 'commander';
import { runProgram, versionLine } from './common';
import { register as verify } from './commands/verify';
import { register as evalCmd } from './commands/eval';
import { register as explain } from './commands/explain';
import { register as serve } from './commands/serve';
import { register as exec } from './commands/exec';
import { register as admin } from './commands/admin';
import { register as log } from './commands/log';

/**
 * Runs `fms-run` on `argv` (`process.argv` shape: node, script, arguments).
 * Sets `process.exitCode`; never calls `process.exit`. A fresh program per
 * call, so a process may run it more than once (the build's code-cache
 * warm-up does).
 */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('fms-run')
    .description('Verify signed fms policy packs against pinned trust roots and decide agents\' tool calls')
    .version(versionLine('0.1.0'));
  for (const r of [verify, evalCmd, explain, serve, exec, admin, log]) r(program);
  await runProgram(program, argv, 'fms-run');
}
