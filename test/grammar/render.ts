import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHighlighter, type ThemedToken } from 'shiki';
import { ROOT } from '../helpers/paths';

/** The theme the rendered look uses (VS Code's default dark theme). */
export const THEME = 'dark-plus';

/** Highlights FPL with the repository's grammar through shiki: HTML for a page, and the coloured tokens. */
export async function highlight(source: string): Promise<{ html: string; tokens: ThemedToken[][]; background: string }> {
  const grammar = JSON.parse(readFileSync(join(ROOT, 'grammar', 'fms.tmLanguage.json'), 'utf8')) as Record<string, unknown>;
  const highlighter = await createHighlighter({ themes: [THEME], langs: [{ ...grammar, name: 'fpl', aliases: ['fms'] } as never] });
  // shiki's types list only its bundled languages; `fpl` is the grammar loaded above.
  const lang = 'fpl' as never;
  try {
    const html = highlighter.codeToHtml(source, { lang, theme: THEME });
    const tokens = highlighter.codeToTokensBase(source, { lang, theme: THEME });
    const background = highlighter.getTheme(THEME).bg;
    return { html, tokens, background };
  } finally {
    highlighter.dispose();
  }
}

/** A standalone page around shiki's HTML (monospace, no external resources). */
export function page(title: string, html: string, background: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title><style>
html,body{margin:0;background:${background}}
pre.shiki{margin:0;padding:16px 20px;font:15px/1.45 "DejaVu Sans Mono","Liberation Mono",monospace;-webkit-font-smoothing:none}
</style></head><body>${html}</body></html>`;
}
