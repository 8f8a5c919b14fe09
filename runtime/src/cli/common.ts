import { readFileSync, readSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ioErrorMessage } from '../util/io-error';
import { CONTAINER_VERSION } from '../pack/container';
import { BODY_VERSION } from '../pack/format';

export { ioErrorMessage };

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

/** Version of every `--format json` document both CLIs print (bumped on an incompatible change). */
export const JSON_VERSION = 1;

/**
 * The `--version` line of both CLIs: the tool version and the pack format
 * versions it reads and writes (container, body) and the `--format json` version.
 */
export function versionLine(version: string): string {
  return `${version} (pack container v${CONTAINER_VERSION}, pack body v${BODY_VERSION}, json v${JSON_VERSION})`;
}

/** The exit codes as `--help` shows them on every command (DESIGN §8). */
export const EXIT_CODES_HELP = '\nExit codes:\n  0  ok\n  1  diagnostics or test failures (warnings too with --strict)\n  2  usage or I/O error\n  3  pack refused by verification\n';

/** Sleeps the thread synchronously (used between EAGAIN retries on stdin). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Reads all of a descriptor synchronously. Standard input may be a
 * non-blocking pipe (a slow producer, an editor's format-on-save): EAGAIN
 * means "nothing yet", so it waits briefly and reads again until end of file.
 */
export function readFdSync(fd: number): Buffer {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
        sleepSync(5);
        continue;
      }
      if (code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a file the user named (`-` = standard input) or throws a CliError
 * (exit 2) in the house style ({@link ioErrorMessage}).
 */
export function readInput(file: string): Buffer {
  try {
    return file === '-' ? readFdSync(0) : readFileSync(file);
  } catch (e) {
    throw new CliError(ioErrorMessage('read', file, e), EXIT.usage);
  }
}

/** {@link readInput} as UTF-8 text. */
export function readInputText(file: string): string {
  return readInput(file).toString('utf8');
}

/** A closed stdout/stderr (`… | head -1`) ends the process quietly, never with a stack trace. */
function quietOnClosedPipe(): void {
  const onError = (e: NodeJS.ErrnoException): void => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') process.exit(process.exitCode ?? 0);
    throw e;
  };
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
}

/** Was `--format json` asked for in these arguments (for errors before a command's options are parsed)? */
function jsonRequested(argv: string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--format=json' || (argv[i] === '--format' && argv[i + 1] === 'json')) return true;
    if (argv[i] === '--') break;
  }
  return false;
}

/** The JSON error document a command prints on stdout in `--format json` mode. */
export function jsonError(tool: string, message: string, exitCode: number): string {
  return JSON.stringify({ version: JSON_VERSION, tool, ok: false, error: { message, exit_code: exitCode } }) + '\n';
}

/**
 * Runs a commander program: usage errors exit 2 (commander's default is 1),
 * CliError exits with its own code after printing its one line, anything
 * unexpected exits 2 with the message (never a stack trace unless FMS_DEBUG).
 */
export async function runProgram(program: Command, argv: string[], name: string): Promise<void> {
  quietOnClosedPipe();
  program.exitOverride();
  program.configureOutput({ outputError: (str, write) => write(str) });
  let active: Command | undefined;
  program.hook('preAction', (_root, cmd) => {
    active = cmd;
  });
  for (const c of program.commands) {
    c.exitOverride();
    c.addHelpText('after', EXIT_CODES_HELP);
  }
  program.addHelpText('after', EXIT_CODES_HELP);
  const json = (): boolean => (active ? (active.opts() as { format?: unknown }).format === 'json' : jsonRequested(argv.slice(2)));
  const fail = (message: string, exitCode: number): void => {
    process.stderr.write(`${name}: ${message}\n`);
    if (json()) process.stdout.write(jsonError(name, message, exitCode));
    process.exitCode = exitCode;
  };
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
        process.exitCode = 0;
        return;
      }
      if (json()) process.stdout.write(jsonError(name, e.message.replace(/^error: /, ''), EXIT.usage));
      process.exitCode = EXIT.usage;
      return;
    }
    if (e instanceof CliError) {
      fail(e.message, e.exitCode);
      return;
    }
    const msg = e instanceof Error ? e.message : String(e);
    fail(msg, EXIT.usage);
    if (process.env.FMS_DEBUG && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
  }
}
