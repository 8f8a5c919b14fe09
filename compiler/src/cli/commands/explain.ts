import type { Command } from 'commander';
import { CliError, EXIT, formatOption, JSON_VERSION } from '@fms/runtime/cli-kit';
import { CATALOGUE, CATALOGUE_BY_CODE } from '../../diagnostics/catalogue';
import { didYouMean } from '../../util/did-you-mean';
import { KEYWORD_DOCS } from '../../docs/keywords';

/** Registers `fmsc explain CODE` (and `fmsc explain --list`). */
export function register(program: Command): void {
  program
    .command('explain')
    .description('explain a diagnostic code (e.g. `fmsc explain FMS2011`) or an FPL word (`fmsc explain budget`); --list prints every code')
    .argument('[code]', 'diagnostic code such as FMS2003, or a word such as `deny!`')
    .option('--list', 'list every code with its title')
    .addOption(formatOption())
    .action((code: string | undefined, o: { list?: boolean; format: string }) => {
      if (o.list || !code) {
        if (o.format === 'json') {
          process.stdout.write(JSON.stringify({ version: JSON_VERSION, tool: 'fmsc', codes: CATALOGUE.map((c) => ({ code: c.code, severity: c.severity, title: c.title })) }, null, 2) + '\n');
          return;
        }
        for (const c of CATALOGUE) process.stdout.write(`${c.code}  ${c.severity.padEnd(7)}  ${c.title}\n`);
        return;
      }
      // A word of the language: the documentation the language server's hover shows (one table).
      const word = KEYWORD_DOCS.get(code);
      if (word && !/^(FMS)?\d+$/i.test(code)) {
        process.stdout.write(`${word.word} (${word.kind}): ${word.signature}\n\n${word.doc}\n`);
        return;
      }
      const norm = code.toUpperCase().replace(/^(\d)/, 'FMS$1');
      const entry = CATALOGUE_BY_CODE.get(norm);
      if (!entry) {
        const guess = didYouMean(norm, CATALOGUE_BY_CODE.keys(), 1);
        throw new CliError(`unknown diagnostic code \`${code}\`${guess ? `; did you mean \`${guess}\`?` : ''} (\`fmsc explain --list\` lists them)`, EXIT.usage);
      }
      if (o.format === 'json') {
        process.stdout.write(JSON.stringify({ version: JSON_VERSION, tool: 'fmsc', code: entry.code, severity: entry.severity, title: entry.title, explanation: entry.explanation, example: entry.example }, null, 2) + '\n');
        return;
      }
      const example = entry.example.split('\n').map((l) => `    ${l}`).join('\n');
      process.stdout.write(`${entry.code} (${entry.severity}): ${entry.title}\n\n${entry.explanation}\n\nExample that triggers it:\n\n${example}\n`);
    });
}
