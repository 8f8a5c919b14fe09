/**
 * `docs/diagnostics.md`: every diagnostic code of the catalogue on one page,
 * with a stable anchor per code (`#FMS2012`). The language server links each
 * diagnostic there (`codeDescription.href`) when the page sits next to it;
 * `test/lsp/diagnostics-doc.test.ts` keeps the committed page equal to this
 * text (`UPDATE_GOLDEN=1` rewrites it after a catalogue change).
 */
import { CATALOGUE } from '@fms/compiler';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where the page lives, relative to the repository (and to an installed package) root. */
export const DIAGNOSTICS_DOC = 'docs/diagnostics.md';

/** The page's anchor for a code: the code itself. */
export function diagnosticAnchor(code: string): string {
  return code;
}

/** The Markdown of the page, generated from the catalogue. */
export function diagnosticsMarkdown(): string {
  const out = [
    '# FPL diagnostics',
    '',
    '<!-- Generated from compiler/src/diagnostics/catalogue.ts by test/lsp/diagnostics-doc.test.ts: run it with UPDATE_GOLDEN=1 after changing the catalogue. Do not edit by hand. -->',
    '',
    'Every code `fmsc check` and the language server report, as `fmsc explain CODE` prints it. `FMS1xxx`: syntax; `FMS2xxx`: meaning.',
    'The language server links each diagnostic to its entry here (`codeDescription`).',
    '',
  ];
  for (const e of CATALOGUE) {
    out.push(`<a id="${diagnosticAnchor(e.code)}"></a>`, '', `## ${e.code}: ${e.title}`, '', `Severity: ${e.severity}.`, '', e.explanation, '');
    if (e.example) out.push('For example:', '', '```fpl', e.example, '```', '');
  }
  return out.join('\n');
}

/**
 * The `codeDescription` link template (`{code}` for the code) to the page
 * beside the running server: `<root>/docs/diagnostics.md` where the server
 * script is `<root>/dist/…` (a checkout or an installed package). Undefined
 * when the page is not there (e.g. inside the VS Code extension): then only a
 * client-configured `explainUrl` gives a link.
 */
export function localExplainUrl(script: string | undefined = process.argv[1]): string | undefined {
  if (!script) return undefined;
  const page = join(dirname(dirname(resolve(script))), DIAGNOSTICS_DOC);
  return existsSync(page) ? `${pathToFileURL(page).href}#{code}` : undefined;
}
