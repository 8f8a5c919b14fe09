/**
 * Compiler diagnostics as LSP diagnostics: code, severity, the catalogue's
 * explanation (a link when the client configured one), related locations and
 * tags. Spans become 0-based UTF-16 ranges here and nowhere else.
 */
import { CATALOGUE_BY_CODE, type Diagnostic as FmsDiagnostic } from '@fms/compiler';
import { DiagnosticSeverity, DiagnosticTag, type Diagnostic, type DiagnosticRelatedInformation } from 'vscode-languageserver/node';
import { pathToFileURL } from 'node:url';
import { fileOf, toRange, type Analysis } from '../analysis';

/** How diagnostics are rendered for this client. */
export interface DiagnosticOptions {
  /** A URL template for `codeDescription.href`, `{code}` replaced by the code (e.g. `https://docs.example/fpl/{code}`). */
  explainUrl?: string;
}

const SEVERITY: Readonly<Record<FmsDiagnostic['severity'], DiagnosticSeverity>> = Object.freeze({
  __proto__: null,
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
} as Record<FmsDiagnostic['severity'], DiagnosticSeverity>);

/** Codes whose range is code that never takes effect: editors fade it. */
const UNNECESSARY = new Set(['FMS2011', 'FMS2012']);

/** The `fmsc explain CODE` text of a code, or undefined for a code the catalogue lacks. */
export function explainText(code: string): string | undefined {
  const e = CATALOGUE_BY_CODE.get(code);
  return e ? `${e.code} (${e.severity}): ${e.title}\n\n${e.explanation}` : undefined;
}

function uriFor(a: Analysis, file: string): string {
  if (file === fileOf(a.doc.uri)) return a.doc.uri;
  return file.startsWith('/') ? pathToFileURL(file).href : a.doc.uri;
}

/** Converts one compile's diagnostics for the document it analysed. Pure. */
export function toLspDiagnostics(a: Analysis, opts: DiagnosticOptions = {}): Diagnostic[] {
  const own = fileOf(a.doc.uri);
  return a.result.diagnostics.map((d) => {
    const here = d.file === own;
    const range = here ? toRange(a.doc, d.span) : toRange(a.doc, { start: 0, end: 0 });
    const related: DiagnosticRelatedInformation[] = (d.related ?? []).map((r) => ({
      location: { uri: uriFor(a, r.file), range: r.file === own ? toRange(a.doc, r.span) : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } },
      message: r.message,
    }));
    const out: Diagnostic = {
      range,
      severity: SEVERITY[d.severity] ?? DiagnosticSeverity.Error,
      code: d.code,
      source: 'fms',
      message: (here ? '' : `${d.file}: `) + d.message + (d.help ? `\nhelp: ${d.help}` : ''),
      data: { explain: explainText(d.code), help: d.help },
    };
    if (opts.explainUrl && CATALOGUE_BY_CODE.has(d.code)) out.codeDescription = { href: opts.explainUrl.replace('{code}', encodeURIComponent(d.code)) };
    if (related.length) out.relatedInformation = related;
    if (UNNECESSARY.has(d.code)) out.tags = [DiagnosticTag.Unnecessary];
    return out;
  });
}
