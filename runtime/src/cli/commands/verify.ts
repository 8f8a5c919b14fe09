import type { Command } from 'commander';

/** Registers `fms-run verify` (not yet implemented: registers nothing). */
export function register(_program: Command): void {}
