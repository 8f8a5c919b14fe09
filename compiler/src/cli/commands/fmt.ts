import type { Command } from 'commander';
import { CliError, EXIT, formatOption, ioErrorMessage, JSON_VERSION, readInputText } from '@fms/runtime/cli-kit';
import { writeFileAtomic } from '@fms/runtime/write-file-atomic';
import { renderText, toJson, type JsonDiagnostic } from '../../diagnostics/render';
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
    .addOption(formatOption())
    .action((files: string[], o: { check?: boolean; diff?: boolean; format: string }) => {
      process.exitCode = runFmt(files, { check: !!o.check, diff: !!o.diff, json: o.format === 'json' });
    });
}

/** One file in the `--format json` report of `fmt`. */
interface FmtJsonFile {
  file: string;
  /** Was the input already in canonical layout? (absent when it has syntax errors) */
  formatted?: boolean;
  /** Did `fmt` rewrite the file? (only when writing files) */
  written?: boolean;
  /** The formatted text (stdin only: in JSON mode stdout carries the report). */
  text?: string;
  /** `--diff`: the unified diff, when anything would change. */
  diff?: string;
  /** Syntax errors (the file is left alone). */
  diagnostics?: JsonDiagnostic[];
}

/**
 * Runs `fmt` over the arguments; returns the exit code (throws CliError for I/O
 * and usage problems). With `json`, nothing but one versioned report goes to
 * stdout (`{"version": 1, "tool": "fmsc", "ok", "files": […]}`): per file
 * whether it was formatted, written, its diff (`--diff`), its formatted text
 * (stdin) or its syntax errors; errors still go to stderr as text too.
 */
export function runFmt(files: string[], opts: { check: boolean; diff?: boolean; json?: boolean }): number {
  if (files.filter((f) => f === '-').length > 1) throw new CliError('`-` (stdin) may be given only once', EXIT.usage);
  // Read everything first: an unreadable argument changes nothing.
  const inputs = files.map(readInput);
  let code: number = EXIT.ok;
  const report: FmtJsonFile[] = [];
  const out = (s: string): void => {
    if (!opts.json) process.stdout.write(s);
  };
  for (const input of inputs) {
    const entry: FmtJsonFile = { file: input.name };
    report.push(entry);
    const r = format(input.text, input.name);
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) {
      const sources = new Map([[input.name, input.text]]);
      process.stderr.write(renderText(errors, sources, stderrPalette()));
      if (opts.json) entry.diagnostics = (JSON.parse(toJson(errors, sources)) as { diagnostics: JsonDiagnostic[] }).diagnostics;
      code = EXIT.diagnostics;
      continue;
    }
    const changed = r.text !== input.text;
    entry.formatted = !changed;
    if (opts.diff) {
      if (changed) {
        const diff = unifiedDiff(input.text, r.text, `a/${input.name}`, `b/${input.name}`);
        out(diff);
        entry.diff = diff;
        code = EXIT.diagnostics;
      }
    } else if (opts.check) {
      if (changed) {
        out(`${input.name}: not formatted\n`);
        code = EXIT.diagnostics;
      }
    } else if (input.arg === '-') {
      out(r.text);
      entry.text = r.text;
    } else {
      if (changed) writeAtomically(input.arg, r.text);
      entry.written = changed;
    }
  }
  if (opts.json) process.stdout.write(JSON.stringify({ version: JSON_VERSION, tool: 'fmsc', ok: code === EXIT.ok, files: report }, null, 2) + '\n');
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
