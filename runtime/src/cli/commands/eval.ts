import type { Command } from 'commander';

/** Registers `fms-run eval` (not yet implemented: registers nothing). */
export function register(_program: Command): void {}
