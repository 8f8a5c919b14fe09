import type { Command } from 'commander';
import { CliError, EXIT, ioErrorMessage, readInputText } from '@fms/runtime/cli-kit';
import { writeFileAtomic } from '@fms/runtime/write-file-atomic';
import { renderText } from '../../diagnostics/render';
import { format } from '../../format/format';
import { stderrPalette } from '../output';
import { unifiedDiff } from '../../util/unified-diff';

/** Name used in messages for standard input (`-`). */
const STDIN_NAME = '<stdin>';

interface Input {
  /** The argument as given (`-` for stdin). */
  arg: string;
  /** Name used in messages. */
  name: string;
  text: string;
}

/**
 * Registers `fmsc fmt [--check] FILE…`: rewrites each file in canonical
 * layout (atomically, only when it changes) or, with `--check`, lists the
 * files that are not formatted. `-` reads stdin and writes stdout. Exit 0 when
 * everything is formatted, 1 on syntax errors or unformatted files under
 * `--check`, 2 when a file cannot be read or written.
 */
export function register(program: Command): void {
  program
    .command('fmt')
    .description('format policy files in place (canonical layout); `-` formats stdin to stdout')
    .argument('<files...>', 'policy files (governance.fms, *.fpl), or - for stdin')
    .option('--check', 'do not write; list files that are not formatted and exit 1 if any')
    .option('--diff', 'do not write; print a unified diff of what formatting would change and exit 1 if anything would')
    .action((files: string[], o: { check?: boolean; diff?: boolean }) => {
      process.exitCode = runFmt(files, { check: !!o.check, diff: !!o.diff });
    });
}

/** Runs `fmt` over the arguments; returns the exit code (throws CliError for I/O and usage problems). */
export function runFmt(files: string[], opts: { check: boolean; diff?: boolean }): number {
  if (files.filter((f) => f === '-').length > 1) throw new CliError('`-` (stdin) may be given only once', EXIT.usage);
  // Read everything first: an unreadable argument changes nothing.
  const inputs = files.map(readInput);
  let code: number = EXIT.ok;
  for (const input of inputs) {
    const r = format(input.text, input.name);
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) {
      process.stderr.write(renderText(errors, new Map([[input.name, input.text]]), stderrPalette()));
      code = EXIT.diagnostics;
      continue;
    }
    const changed = r.text !== input.text;
    if (opts.diff) {
      if (changed) {
        process.stdout.write(unifiedDiff(input.text, r.text, `a/${input.name}`, `b/${input.name}`));
        code = EXIT.diagnostics;
      }
    } else if (opts.check) {
      if (changed) {
        process.stdout.write(`${input.name}: not formatted\n`);
        code = EXIT.diagnostics;
      }
    } else if (input.arg === '-') {
      process.stdout.write(r.text);
    } else if (changed) {
      writeAtomically(input.arg, r.text);
    }
  }
  return code;
}

function readInput(arg: string): Input {
  return { arg, name: arg === '-' ? STDIN_NAME : arg, text: readInputText(arg) };
}

/** Rewrites a file atomically; a failure exits 2 with one line and leaves the file untouched. */
function writeAtomically(path: string, text: string): void {
  try {
    writeFileAtomic(path, text);
  } catch (e) {
    throw new CliError(ioErrorMessage('write', path, e), EXIT.usage);
  }
}
