import { Command, CommanderError, Option } from 'commander';

/** Exit codes shared by fmsc and fms-run (DESIGN §8). */
export const EXIT = {
  ok: 0,
  diagnostics: 1,
  usage: 2,
  refused: 3,
} as const;

/** `--format text|json` (default text): an unknown value is a usage error (exit 2) from commander. */
export function formatOption(): Option {
  return new Option('--format <format>', 'text or json').choices(['text', 'json']).default('text');
}

/** An error that carries its exit code and a one-line message for stderr. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * Runs a commander program: usage errors exit 2 (commander's default is 1),
 * CliError exits with its own code after printing its one line, anything
 * unexpected exits 2 with the message (never a stack trace unless FMS_DEBUG).
 */
export async function runProgram(program: Command, argv: string[], name: string): Promise<void> {
  program.exitOverride();
  program.configureOutput({ outputError: (str, write) => write(str) });
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
        process.exitCode = 0;
        return;
      }
      process.exitCode = EXIT.usage;
      return;
    }
    if (e instanceof CliError) {
      process.stderr.write(`${name}: ${e.message}\n`);
      process.exitCode = e.exitCode;
      return;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`${name}: ${msg}\n`);
    if (process.env.FMS_DEBUG && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
    process.exitCode = EXIT.usage;
  }
}
