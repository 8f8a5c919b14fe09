import { Command } from 'commander';
import { runProgram, versionLine } from '@fms/runtime/cli-kit';
import { register as check } from './commands/check';
import { register as build } from './commands/build';
import { register as sign } from './commands/sign';
import { register as verify } from './commands/verify';
import { register as fmt } from './commands/fmt';
import { register as testCmd } from './commands/test';
import { register as explain } from './commands/explain';
import { register as explainCall } from './commands/explain-call';
import { register as inspect } from './commands/inspect';
import { register as keygen } from './commands/keygen';
import { register as pubkey } from './commands/pubkey';
import { register as signPackage } from './commands/sign-package';
import { register as init } from './commands/init';
import { register as completion } from './commands/completion';
import { register as trust } from './commands/trust';

/**
 * Runs `fmsc` on `argv` (`process.argv` shape: node, script, arguments).
 * Sets `process.exitCode`; never calls `process.exit`. A fresh program per
 * call, so a process may run it more than once (the build's code-cache
 * warm-up does).
 */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('fmsc')
    .description('Compile governance.fms (FPL) into signed policy packs')
    .version(versionLine('0.1.0'));
  for (const r of [check, build, sign, verify, fmt, testCmd, explain, explainCall, inspect, keygen, pubkey, signPackage, init, completion, trust]) r(program);
  await runProgram(program, argv, 'fmsc');
}
