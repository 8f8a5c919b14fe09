import type { Command } from 'commander';
import { formatOption } from '@fms/runtime/cli-kit';
import { nameFlags, runVerify } from '@fms/runtime/cli-kit';

/**
 * Registers `fmsc verify PACK --trust FILE`: the same checks as
 * `fms-run verify`; rollback state only when `--state-dir` is given.
 */
export function register(program: Command): void {
  nameFlags(program.command('verify'))
    .description('verify a signed pack against pinned trust roots (exit 3 when refused)')
    .argument('<pack>', 'the .fmspack file')
    .option('--trust <file>', 'trust roots JSON (default: $FMS_TRUST)')
    .option('--state-dir <dir>', 'also check and update the rollback high-water mark in this directory')
    .addOption(formatOption())
    .action((pack: string, o: { trust?: string; name?: string; deployment?: string; stateDir?: string; format: string }) => runVerify(pack, { ...o, state: true }, false));
}
