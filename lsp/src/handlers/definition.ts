/**
 * Go to definition, find references and rename for agents, vars, budgets,
 * phases, import aliases and selectors, over the name index of the analysis.
 */
import type { Location, Position, PrepareRenameResult, Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver/node';
import { symbolAt, toOffset, toRange, type Analysis } from '../analysis';

/** The declaration of the name under `pos`, or null. */
export function definition(a: Analysis, pos: Position): Location | null {
  const hit = symbolAt(a, toOffset(a.doc, pos));
  if (!hit?.symbol.def) return null;
  return { uri: a.doc.uri, range: toRange(a.doc, hit.symbol.def) };
}

/** Every place the name under `pos` is written (the declaration too when asked). */
export function references(a: Analysis, pos: Position, includeDeclaration = true): Location[] {
  const hit = symbolAt(a, toOffset(a.doc, pos));
  if (!hit) return [];
  const spans = [...(includeDeclaration && hit.symbol.def ? [hit.symbol.def] : []), ...hit.symbol.refs];
  return spans.map((s) => ({ uri: a.doc.uri, range: toRange(a.doc, s) }));
}

/** A name FPL accepts bare or quoted: the new name must be one word of name characters. */
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** The range of the renameable name under `pos`, or null (nothing to rename there). */
export function prepareRename(a: Analysis, pos: Position): PrepareRenameResult | null {
  const hit = symbolAt(a, toOffset(a.doc, pos));
  if (!hit || !hit.symbol.def) return null;
  const range: Range = toRange(a.doc, hit.span);
  return { range, placeholder: hit.symbol.name };
}

/** Error thrown for a rename that would not be a valid or unambiguous name; the message is the one-line reason. */
export class RenameError extends Error {}

/** The edits that rename the name under `pos` to `newName`, or null when there is nothing to rename. */
export function rename(a: Analysis, pos: Position, newName: string): WorkspaceEdit | null {
  const hit = symbolAt(a, toOffset(a.doc, pos));
  if (!hit || !hit.symbol.def) return null;
  if (!NAME.test(newName)) throw new RenameError(`\`${newName}\` is not a name: use letters, digits, \`_\` and \`-\`, starting with a letter or \`_\``);
  const s = hit.symbol;
  if (a.symbols.some((o) => o !== s && o.kind === s.kind && o.scope === s.scope && o.name === newName && o.def)) {
    throw new RenameError(`a ${s.kind} named \`${newName}\` already exists`);
  }
  const edits: TextEdit[] = [s.def!, ...s.refs].map((sp) => ({ range: toRange(a.doc, sp), newText: newName }));
  return { changes: { [a.doc.uri]: edits } };
}
