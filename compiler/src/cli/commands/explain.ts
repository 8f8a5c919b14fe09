import type { Command } from 'commander';

/** Registers `fmsc explain` (not yet implemented: registers nothing). */
export function register(_program: Command): void {}
