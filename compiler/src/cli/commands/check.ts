import type { Command } from 'commander';
import { Option } from 'commander';
import { CliError, EXIT, formatOption } from '@fms/runtime/cli-kit';
import type { Diagnostic } from '../../diagnostics/diagnostic';
import { irSummary } from '../../ir/summary';
import { compileFile, fails, frontEndFlags, lockedOption, noLockedOption, printDiagnostics, registryOption, settleLock, sortDiagnostics, summaryLine, toJson } from '../load';
import { dependencyFiles, watchLoop, type Pass } from '../watch';

interface CheckOptions {
  format: string;
  strict?: boolean;
  quiet?: boolean;
  emit?: string;
  allowUnsetEnv?: boolean;
  registry?: string;
  locked?: boolean;
  watch?: boolean;
}

/** Registers `fmsc check FILE…`. */
export function register(program: Command): void {
  program
    .command('check')
    .description('parse and check governance.fms files; report every mistake (exit 0 clean, 1 diagnostics, 2 usage or I/O)')
    .argument('<files...>', 'policy files (`-` reads stdin)')
    .addOption(formatOption())
    .option('--strict', 'warnings fail the check too')
    .option('--quiet', 'do not print info notes (hints such as FMS2019)')
    .addOption(new Option('--emit <what>', 'with --format json, include the IR summary').choices(['ir']))
    .option('--allow-unset-env', 'unset env("NAME") values are warnings, not errors (CI without secrets)')
    .option('--watch', 'check again whenever a file, its imports or its lockfile change (Ctrl-C stops, exit 0)')
    .addOption(registryOption())
    .addOption(lockedOption())
    .addOption(noLockedOption())
    .action(async (files: string[], o: CheckOptions) => {
      if (o.emit && o.format !== 'json') throw new CliError('--emit ir needs --format json', EXIT.usage);
      if (o.watch) {
        if (o.format !== 'text') throw new CliError('--watch prints text reports: leave out --format', EXIT.usage);
        if (files.includes('-')) throw new CliError('--watch needs files, not `-` (stdin)', EXIT.usage);
        await watchLoop('fmsc', files, () => runCheck(files, o));
        return;
      }
      process.exitCode = runCheck(files, o).exitCode;
    });
}

/** One `check` over the files: prints the report, returns the exit code and the files it read. */
function runCheck(files: string[], o: CheckOptions): Pass {
  const sources = new Map<string, string>();
  const all: Diagnostic[] = [];
  const summaries: Record<string, unknown>[] = [];
  const read: string[] = [];
  for (const f of files) {
    const flags = frontEndFlags(o);
    read.push(f);
    const { text, result } = compileFile(f, flags);
    sources.set(f === '-' ? '<stdin>' : f, text);
    all.push(...result.diagnostics);
    read.push(...dependencyFiles(f, result.ir, o.registry));
    if (result.ir && !fails(result.diagnostics, false)) settleLock(f, result.ir, flags);
    if (o.emit === 'ir' && result.ir) summaries.push({ file: f, ir: irSummary(result.ir) });
  }
  if (o.format === 'json') process.stdout.write(toJson(sortDiagnostics(all), sources, o.emit ? { ir: summaries } : {}));
  else printDiagnostics(all, sources, !o.quiet);
  return { exitCode: fails(all, o.strict) ? EXIT.diagnostics : EXIT.ok, files: [...new Set(read)], summary: summaryLine(all) };
}
