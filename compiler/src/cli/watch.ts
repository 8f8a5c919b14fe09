import { statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CliError, EXIT } from '@fms/runtime/cli-kit';
import type { Policy } from '../ir/types';
import { lockfilePath } from './lockfile';
import { registryDir } from './registry';

/** What one pass of a watched command reports: its exit code and the files it read. */
export interface Pass {
  exitCode: number;
  /** Files whose change re-runs the command (missing files are watched too: creating one counts). */
  files: string[];
  /** A short result for the status line (`2 errors, 1 warning`, `6 passed, 0 failed`). */
  summary: string;
}

/** How long a burst of changes (an editor's save: write, rename, chmod) is gathered before a re-run. */
export const WATCH_DEBOUNCE_MS = 150;
/** How often watched files are polled (stat): polling sees atomic renames and files created later, which inotify watches on the old inode miss. */
export const WATCH_POLL_MS = 200;

/**
 * The files a compiled policy depends on besides itself: its lockfile and,
 * for every import, the registry file and its signature.
 */
export function dependencyFiles(source: string, ir: Policy | undefined, registry: string | undefined): string[] {
  if (source === '-') return [];
  const out = [source, lockfilePath(source)];
  if (ir) {
    const dir = registryDir(registry, source);
    for (const i of ir.imports) {
      const f = join(dir, i.host, `${i.path}@${i.version}.fms`);
      out.push(f, `${f}.sig`);
    }
  }
  return out;
}

/** What a file looks like to the watch: its identity, size and times, or `missing`. */
function signature(file: string): string {
  try {
    const s = statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch {
    return 'missing';
  }
}

/**
 * `--watch`: runs `pass` now and again whenever one of the files it names
 * changes (debounced), printing one status line on stderr after each pass
 * (`fmsc: [watch] 2 errors, 1 warning (exit 1); watching 3 files (Ctrl-C stops)`).
 * Files are compared with what they were just BEFORE the pass that read them,
 * so an edit made while a pass runs, or before the first poll, is never
 * missed. A pass that throws prints its one line (as the command would) and
 * keeps watching the files of the last good pass. Resolves on SIGINT or
 * SIGTERM, with exit code 0.
 */
export function watchLoop(name: string, initial: readonly string[], pass: () => Pass): Promise<void> {
  return new Promise((resolve) => {
    // Before a first good pass, the arguments themselves (a missing file is watched until it appears).
    let watched = new Map<string, string>();
    let timer: NodeJS.Timeout | undefined;
    const run = (): void => {
      timer = undefined;
      const before = new Map<string, string>();
      for (const f of watched.size ? watched.keys() : initial) before.set(f, signature(f));
      let result: Pass;
      try {
        result = pass();
      } catch (e) {
        // One line, as the command would print it, and keep watching (the next save may fix it).
        const code = e instanceof CliError ? e.exitCode : EXIT.usage;
        process.stderr.write(`${name}: ${e instanceof Error ? e.message : String(e)}\n`);
        result = { exitCode: code, files: [...before.keys()], summary: '' };
      }
      const next = new Map<string, string>();
      for (const f of result.files) next.set(f, before.get(f) ?? signature(f));
      watched = next;
      const shown = [...next.keys()].filter((f) => !f.endsWith('.sig') && !f.endsWith('.lock')).map((f) => relative(process.cwd(), f) || f);
      const state = result.exitCode === EXIT.ok ? 'ok' : `exit ${result.exitCode}`;
      process.stderr.write(`${name}: [watch] ${result.summary || 'clean'} (${state}); watching ${shown.length} file${shown.length === 1 ? '' : 's'} (Ctrl-C stops)\n`);
    };
    const poll = setInterval(() => {
      if (timer) return;
      for (const [f, sig] of watched) {
        if (signature(f) !== sig) {
          timer = setTimeout(run, WATCH_DEBOUNCE_MS);
          return;
        }
      }
    }, WATCH_POLL_MS);
    const stop = (): void => {
      if (timer) clearTimeout(timer);
      clearInterval(poll);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stderr.write(`${name}: [watch] stopped\n`);
      process.exitCode = EXIT.ok;
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    run();
  });
}
