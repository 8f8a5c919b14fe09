import type { Command } from 'commander';

/** Registers `fmsc test` (not yet implemented: registers nothing). */
export function register(_program: Command): void {}
