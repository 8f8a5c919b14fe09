import { readFileSync } from 'node:fs';
import { CliError, EXIT } from '@fms/runtime/cli-kit';
import { compile, type CompileResult } from '../compile';
import type { Diagnostic } from '../diagnostics/diagnostic';
import { renderText, toJson, type Sources } from '../diagnostics/render';
import { stderrPalette } from './output';
import { registryDir, registryResolver } from './registry';

export interface FrontEndFlags {
  allowUnsetEnv?: boolean;
  registry?: string;
  strict?: boolean;
}

/** Reads a source file (`-` = stdin) or fails with exit 2 and one line. */
export function readSource(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read \`${file}\`: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`, EXIT.usage);
  }
}

/** Compiles one file from disk with the CLI's environment, registry and lockfile. */
export function compileFile(file: string, flags: FrontEndFlags): { text: string; result: CompileResult } {
  const text = readSource(file);
  const name = file === '-' ? '<stdin>' : file;
  let resolver;
  try {
    resolver = file === '-' ? undefined : registryResolver(registryDir(flags.registry, file), file);
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.usage);
  }
  const opts: Parameters<typeof compile>[2] = { env: process.env, allowUnsetEnv: !!flags.allowUnsetEnv };
  if (resolver) opts.resolveImport = resolver;
  const result = compile(text, name, opts);
  return { text, result };
}

/** Does this set of diagnostics fail the command? (errors; warnings too under --strict) */
export function fails(diags: Diagnostic[], strict: boolean | undefined): boolean {
  return diags.some((d) => d.severity === 'error' || (strict && d.severity === 'warning'));
}

/** Prints diagnostics as text on stderr (info notes only with `verbose`). */
export function printDiagnostics(diags: Diagnostic[], sources: Sources, verbose = true): void {
  const shown = verbose ? diags : diags.filter((d) => d.severity !== 'info');
  if (shown.length) process.stderr.write(renderText(shown, sources, stderrPalette()));
}

export { toJson };
