/**
 * Langium-style test helper: write the source with a `<|>` cursor marker;
 * get the analysis of the text without the marker and the cursor position.
 */
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Position } from 'vscode-languageserver/node';
import { analyze, type Analysis } from '../../lsp/src/analysis';

export const MARK = '<|>';

/** Analyses `src` (a `<|>` marks the cursor, at most once) as `uri`. */
export function at(src: string, uri = 'file:///work/t/governance.fms'): { a: Analysis; pos: Position; offset: number } {
  const offset = src.indexOf(MARK);
  const text = offset < 0 ? src : src.slice(0, offset) + src.slice(offset + MARK.length);
  if (offset >= 0 && text.includes(MARK)) throw new Error('more than one cursor marker');
  const doc = TextDocument.create(uri, 'fpl', 1, text);
  const a = analyze(doc, { env: { SET_VAR: 'secret-value' } });
  return { a, pos: doc.positionAt(Math.max(0, offset)), offset };
}

/** Lines joined with `\n` plus a final newline. */
export const lines = (...ls: string[]): string => ls.join('\n') + '\n';
