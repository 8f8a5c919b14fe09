import type { Command } from 'commander';

/** Registers `fmsc inspect` (not yet implemented: registers nothing). */
export function register(_program: Command): void {}
