import type { Command } from 'commander';

/** Registers `fmsc fmt` (not yet implemented: registers nothing). */
export function register(_program: Command): void {}
