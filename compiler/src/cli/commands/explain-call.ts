import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { CliError, EXIT } from '../../../../runtime/src/cli/common';
import { renderExplanation } from '../../../../runtime/src/cli/commands/explain';
import { type CallOpts, callFromOpts } from '../../../../runtime/src/cli/commands/eval';
import { type LoadedPack, loadPackBody } from '../../../../runtime/src/vm/loaded-pack';
import { compile } from '../../compile';
import { LineIndex } from '../../diagnostics/diagnostic';
import { EmitError, emitPackBody } from '../../emit/emit-body';

/**
 * Compiles a governance.fms file and loads it as an in-memory pack (no
 * signature: this is the author's own source). Compile errors exit `errorExit`.
 */
export function compileToPack(path: string, errorExit: number = EXIT.diagnostics): LoadedPack {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read \`${path}\`: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, EXIT.usage);
  }
  const file = basename(path);
  const r = compile(text, file);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !r.ir) {
    const li = new LineIndex(text);
    for (const d of errors) {
      const p = li.position(d.span.start);
      process.stderr.write(`${path}:${p.line}:${p.col}: error[${d.code}]: ${d.message}\n`);
    }
    throw new CliError(`\`${path}\` has ${errors.length} error(s)`, errorExit);
  }
  try {
    return loadPackBody(emitPackBody(r.ir));
  } catch (e) {
    if (e instanceof EmitError) throw new CliError(`${path}: ${e.message}`, errorExit);
    throw e;
  }
}

/** Registers `fmsc explain-call FILE --agent A --tool T --args JSON`: the decision trace from source. */
export function register(program: Command): void {
  program
    .command('explain-call')
    .argument('[file]', 'policy source', 'governance.fms')
    .description('show how the policy decides one tool call: rules tried, conditions and values, missing fields, limits and budgets')
    .requiredOption('--agent <id>', 'agent id')
    .requiredOption('--tool <name>', 'tool name')
    .option('--args <json>', 'arguments as a JSON object', '{}')
    .option('--principal <json>', 'principal claims as a JSON object')
    .option('--session <id>', 'session id')
    .option('--model <name>', 'model of the call')
    .option('--cost <usd>', 'cost of the call in USD')
    .option('--time <t>', 'ms since the epoch or an ISO 8601 date')
    .option('--format <f>', 'text or json', 'text')
    .action((file: string, o: CallOpts & { format: string }) => {
      const x = compileToPack(file).explain(callFromOpts(o));
      process.stdout.write(o.format === 'json' ? JSON.stringify(x, null, 2) + '\n' : renderExplanation(x));
    });
}
