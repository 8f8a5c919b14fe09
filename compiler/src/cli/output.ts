import { chalkStderr } from 'chalk';
import type { Palette } from '../diagnostics/render';
import { plain } from '../diagnostics/render';

/**
 * Colour for stderr: only when stderr is a TTY and NO_COLOR is unset (chalk 5
 * ignores NO_COLOR on its own and looks at stdout, hence chalkStderr).
 */
export function stderrPalette(): Palette {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  if (noColor || !process.stderr.isTTY) {
    chalkStderr.level = 0;
    return plain;
  }
  return {
    error: (s) => chalkStderr.red.bold(s),
    warning: (s) => chalkStderr.yellow.bold(s),
    info: (s) => chalkStderr.cyan(s),
    dim: (s) => chalkStderr.blue(s),
    bold: (s) => chalkStderr.bold(s),
  };
}
