import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths';

/** A token of one line: its text and its scopes (outermost first). */
export interface Token {
  text: string;
  scopes: string[];
}

const require = createRequire(import.meta.url);
// Both packages are CommonJS; require gives their real export objects.
const oniguruma = require('vscode-oniguruma') as typeof import('vscode-oniguruma');
const vsctm = require('vscode-textmate') as typeof import('vscode-textmate');
let onig: Promise<void> | undefined;

/** Loads the Oniguruma WASM once (the engine VS Code uses). */
function loadOnig(): Promise<void> {
  onig ??= oniguruma.loadWASM(readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm')).buffer as ArrayBuffer);
  return onig;
}

/** Grammar files by scope name; `text.html.markdown` is a minimal host for testing the injection. */
const GRAMMARS: Record<string, () => string> = {
  'source.fms': () => readFileSync(join(ROOT, 'grammar', 'fms.tmLanguage.json'), 'utf8'),
  'markdown.fms.codeblock': () => readFileSync(join(ROOT, 'grammar', 'fms-markdown.tmLanguage.json'), 'utf8'),
  'text.html.markdown': () => JSON.stringify({ scopeName: 'text.html.markdown', patterns: [{ match: '^#+ .*$', name: 'markup.heading.markdown' }] }),
};

/** A vscode-textmate registry over the repository's grammars (real TextMate engine, Oniguruma regexes). */
export async function registry(): Promise<import('vscode-textmate').Registry> {
  await loadOnig();
  return new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) => {
      const src = GRAMMARS[scopeName];
      return src ? vsctm.parseRawGrammar(src(), `${scopeName}.json`) : null;
    },
    getInjections: (scopeName: string) => (scopeName === 'text.html.markdown' ? ['markdown.fms.codeblock'] : undefined),
  });
}

/** Tokenizes `text` line by line with the grammar of `scopeName`. */
export async function tokenize(text: string, scopeName = 'source.fms'): Promise<Token[][]> {
  const grammar = await (await registry()).loadGrammar(scopeName);
  if (!grammar) throw new Error(`grammar ${scopeName} did not load`);
  let stack = vsctm.INITIAL;
  return text.split(/\r?\n/).map((line) => {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    return r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes }));
  });
}

/** One line per token: `text` ⟶ innermost scopes (without the root), as the snapshots store them. */
export function renderTokens(lines: Token[][]): string {
  const out: string[] = [];
  lines.forEach((tokens, i) => {
    for (const t of tokens) {
      if (t.text.trim() === '' && t.scopes.length === 1) continue;
      out.push(`${i + 1}: ${JSON.stringify(t.text)} ${t.scopes.slice(1).join(' ') || '-'}`);
    }
  });
  return out.join('\n') + '\n';
}
