import { CliError, EXIT, readInputText } from '@fms/runtime/cli-kit';
import { compile, type CompileResult } from '../compile';
import type { Diagnostic } from '../diagnostics/diagnostic';
import type { Policy } from '../ir/types';
import { renderText, toJson, type Sources } from '../diagnostics/render';
import { Option } from 'commander';
import { stderrPalette } from './output';
import { lockfilePath, LockfileError } from './lockfile';
import { lockedMode, registryDir, registryResolver, staleLockEntries, writeLock } from './registry';

export interface FrontEndFlags {
  allowUnsetEnv?: boolean;
  registry?: string;
  strict?: boolean;
  /** `--locked` / `--no-locked`; undefined: locked when CI=true. */
  locked?: boolean;
}

/** `--registry DIR`, the same on every command that compiles a source. */
export const registryOption = (): Option =>
  new Option('--registry <dir>', 'registry folder for imports (default: $FMS_REGISTRY, else .fms/registry next to the file; for stdin, in the current folder)');
/** `--locked`: every import must already be in the lockfile (default when CI=true). */
export const lockedOption = (): Option => new Option('--locked', 'every import must already be in the lockfile with its digest; the lockfile is never written (default when CI=true)');
/** `--no-locked`: resolve and update the lockfile even when CI=true. */
export const noLockedOption = (): Option => new Option('--no-locked', 'resolve imports and update the lockfile, even when CI=true');

/** The front-end flags of a command's options. */
export function frontEndFlags(o: { allowUnsetEnv?: boolean; registry?: string; locked?: boolean }): FrontEndFlags {
  const flags: FrontEndFlags = { allowUnsetEnv: !!o.allowUnsetEnv };
  if (o.registry !== undefined) flags.registry = o.registry;
  if (o.locked !== undefined) flags.locked = o.locked;
  return flags;
}

/** Reads a source file (`-` = stdin) or fails with exit 2 and one line. */
export function readSource(file: string): string {
  return readInputText(file);
}

/**
 * Compiles one file (`-` = stdin) with the CLI's environment, registry and
 * lockfile. Imports always resolve (stdin against `./.fms/registry` or
 * `--registry`, checked against `./governance.fms.lock` when it exists, which
 * stdin never writes). In locked mode a lockfile entry for a ref the source no
 * longer imports is FMS2074; a malformed lockfile is FMS2075.
 */
export function compileFile(file: string, flags: FrontEndFlags): { text: string; result: CompileResult } {
  const text = readSource(file);
  const name = file === '-' ? '<stdin>' : file;
  if (flags.registry === '') throw new CliError('--registry needs a folder', EXIT.usage);
  const locked = lockedMode(flags.locked);
  const lockfile = file === '-' ? 'governance.fms.lock' : lockfilePath(file);
  const resolver = registryResolver(registryDir(flags.registry, file), file, { locked, lockfile });
  const result = compile(text, name, { env: process.env, allowUnsetEnv: !!flags.allowUnsetEnv, resolveImport: resolver });
  if (result.ir && file !== '-') {
    const lockDiag = (code: string, message: string, help: string): Diagnostic => ({ code, severity: 'error', message, file: lockfile, span: { start: 0, end: 0 }, help });
    try {
      const stale = staleLockEntries(file, result.ir);
      if (locked) {
        for (const ref of stale) {
          result.diagnostics.push(lockDiag('FMS2074', `locked mode: the lockfile still locks \`${ref}\`, which \`${name}\` no longer imports`, 'run `fmsc check --no-locked` to prune it, review and commit the lockfile'));
        }
      }
    } catch (e) {
      if (!(e instanceof LockfileError)) throw e;
      if (!result.diagnostics.some((d) => d.code === 'FMS2075')) result.diagnostics.push(lockDiag('FMS2075', e.message, 'a lockfile is `{"version": 1, "imports": {"host/path@1.2.3": {"sha256": "<64 hex>"}}}`'));
    }
  }
  return { text, result };
}

/**
 * After a clean compile: unless in locked mode or reading stdin, records the
 * imports' digests in the lockfile and prunes stale entries (under a file lock),
 * telling the user on stderr what changed. A lockfile that cannot be updated is
 * exit 1 with its one-line reason.
 */
export function settleLock(file: string, ir: Policy, flags: FrontEndFlags): void {
  if (file === '-' || lockedMode(flags.locked)) return;
  let changes;
  try {
    changes = writeLock(file, ir);
  } catch (e) {
    if (e instanceof LockfileError) throw new CliError(e.message, EXIT.diagnostics);
    throw new CliError(`${lockfilePath(file)}: cannot write it (${(e as Error).message})`, EXIT.usage);
  }
  for (const c of changes) {
    process.stderr.write(`fmsc: ${lockfilePath(file)}: ${c.kind === 'created' ? 'created' : c.kind === 'added' ? `locked \`${c.ref}\`` : `pruned \`${c.ref}\` (no longer imported)`}\n`);
  }
}

/** Does this set of diagnostics fail the command? (errors; warnings too under --strict) */
export function fails(diags: Diagnostic[], strict: boolean | undefined): boolean {
  return diags.some((d) => d.severity === 'error' || (strict && d.severity === 'warning'));
}

const SEVERITY_ORDER: ReadonlyMap<string, number> = new Map([
  ['error', 0],
  ['warning', 1],
  ['info', 2],
]);

/**
 * Diagnostics in reading order: files in the order they first appear, then by
 * position, then severity (a stable sort keeps ties as reported).
 */
export function sortDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  const fileOrder = new Map<string, number>();
  for (const d of diags) if (!fileOrder.has(d.file)) fileOrder.set(d.file, fileOrder.size);
  return [...diags].sort(
    (a, b) =>
      (fileOrder.get(a.file) ?? 0) - (fileOrder.get(b.file) ?? 0) ||
      a.span.start - b.span.start ||
      (SEVERITY_ORDER.get(a.severity) ?? 3) - (SEVERITY_ORDER.get(b.severity) ?? 3),
  );
}

/** `2 errors, 1 warning` (info notes are not counted); empty when there are none. */
export function summaryLine(diags: readonly Diagnostic[]): string {
  const n = (sev: string): number => diags.filter((d) => d.severity === sev).length;
  const part = (k: number, word: string): string => `${k} ${word}${k === 1 ? '' : 's'}`;
  const errors = n('error');
  const warnings = n('warning');
  if (errors + warnings === 0) return '';
  return [errors ? part(errors, 'error') : '', warnings ? part(warnings, 'warning') : ''].filter(Boolean).join(', ');
}

/**
 * Prints diagnostics as text on stderr (info notes only with `verbose`), in
 * reading order, followed by a summary line (`2 errors, 1 warning`).
 */
export function printDiagnostics(diags: Diagnostic[], sources: Sources, verbose = true): void {
  const shown = sortDiagnostics(verbose ? diags : diags.filter((d) => d.severity !== 'info'));
  if (!shown.length) return;
  const summary = summaryLine(shown);
  process.stderr.write(renderText(shown, sources, stderrPalette()) + (summary ? `${summary}\n` : ''));
}

export { toJson };
