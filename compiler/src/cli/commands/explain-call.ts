import type { Command } from 'commander';
import { CliError, EXIT, formatOption, JSON_VERSION } from '@fms/runtime/cli-kit';
import { renderExplanation } from '@fms/runtime/cli-kit';
import { type CallOpts, callFromOpts, callOptions, clockFromOpts } from '@fms/runtime/cli-kit';
import { type LoadOptions, type LoadedPack, loadPackBody } from '@fms/runtime';
import { EmitError, emitPackBody } from '../../emit/emit-body';
import { compileFile, type FrontEndFlags, frontEndFlags, lockedOption, noLockedOption, printDiagnostics, registryOption } from '../load';

/**
 * Compiles a governance.fms file (same environment, registry and lockfile as
 * `fmsc check`) and loads it as an in-memory pack (no signature: this is the
 * author's own source). Compile errors exit `errorExit`.
 */
export function compileToPack(path: string, errorExit: number = EXIT.diagnostics, flags: FrontEndFlags = {}, opts: LoadOptions = {}): LoadedPack {
  const { text, result: r } = compileFile(path, flags);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !r.ir) {
    printDiagnostics(errors, new Map([[path, text]]));
    throw new CliError(`\`${path}\` has ${errors.length} error(s)`, errorExit);
  }
  try {
    return loadPackBody(emitPackBody(r.ir), opts);
  } catch (e) {
    if (e instanceof EmitError) throw new CliError(`${path}: ${e.message}`, errorExit);
    throw e;
  }
}

/** Registers `fmsc explain-call FILE --agent A --tool T --args JSON`: the decision trace from source. */
export function register(program: Command): void {
  callOptions(
    program
      .command('explain-call')
      .argument('[file]', 'policy source', 'governance.fms')
      .description('show how the policy decides one tool call: rules tried, conditions and values, missing fields, limits and budgets'),
  )
    .addOption(formatOption())
    .addOption(registryOption())
    .addOption(lockedOption())
    .addOption(noLockedOption())
    .action((file: string, o: CallOpts & { format: string; registry?: string; locked?: boolean }) => {
      const clock = clockFromOpts(o);
      const x = compileToPack(file, EXIT.diagnostics, frontEndFlags(o), clock ? { clock } : {}).explain(callFromOpts(o));
      process.stdout.write(o.format === 'json' ? JSON.stringify({ version: JSON_VERSION, ...x }, null, 2) + '\n' : renderExplanation(x));
    });
}
