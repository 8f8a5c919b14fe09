/**
 * `fms-lsp`: the FPL language server executable. Transport from argv as
 * `vscode-languageserver/node` reads it: `--stdio` (the default when none is
 * given), `--node-ipc`, `--socket=PORT`, `--pipe=NAME`.
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';
import { localExplainUrl } from './diagnostics-doc';

const TRANSPORTS = /^--(stdio|node-ipc|socket(=.*)?|pipe(=.*)?)$/;
const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write('fms-lsp 0.1.0\n');
  process.exit(0);
}
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write('usage: fms-lsp [--stdio | --node-ipc | --socket=PORT | --pipe=NAME]\nThe FPL language server; speaks LSP on stdio by default.\n');
  process.exit(0);
}
if (!args.some((a) => TRANSPORTS.test(a))) process.argv.push('--stdio');

// Each diagnostic links to its entry in docs/diagnostics.md beside this script, when it is there.
const explainUrl = localExplainUrl();
startServer(createConnection(ProposedFeatures.all), explainUrl ? { explainUrl } : {});
