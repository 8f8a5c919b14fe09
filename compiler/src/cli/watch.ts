import { unwatchFile, watchFile, type Stats } from 'node:fs';
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
/** How often watched files are polled: polling sees atomic renames and files created later, which inotify watches on the old inode miss. */
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

/**
 * `--watch`: runs `pass` now and again whenever one of the files it names
 * changes (debounced), printing one status line on stderr after each pass
 * (`fmsc: [watch] 2 errors, 1 warning; watching 3 files (Ctrl-C stops)`).
 * A pass that throws prints its one line (as the command would) and keeps
 * watching the files of the last good pass. Resolves on SIGINT or SIGTERM, with exit code 0, after
 * unwatching everything.
 */
export function watchLoop(name: string, initial: readonly string[], pass: () => Pass): Promise<void> {
  return new Promise((resolve) => {
    // Before a first good pass, the arguments themselves (a missing file is watched until it appears).
    let watched = new Set<string>();
    const first = new Set(initial);
    let timer: NodeJS.Timeout | undefined;
    const onChange = (cur: Stats, prev: Stats): void => {
      if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size && cur.ino === prev.ino && cur.nlink === prev.nlink) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(run, WATCH_DEBOUNCE_MS);
    };
    const run = (): void => {
      timer = undefined;
      let result: Pass;
      try {
        result = pass();
      } catch (e) {
        // One line, as the command would print it, and keep watching (the next save may fix it).
        const code = e instanceof CliError ? e.exitCode : EXIT.usage;
        process.stderr.write(`${name}: ${e instanceof Error ? e.message : String(e)}\n`);
        result = { exitCode: code, files: [...(watched.size ? watched : first)], summary: '' };
      }
      const next = new Set(result.files);
      for (const f of watched) if (!next.has(f)) unwatchFile(f, onChange);
      for (const f of next) if (!watched.has(f)) watchFile(f, { interval: WATCH_POLL_MS, persistent: true }, onChange);
      watched = next;
      const shown = [...next].filter((f) => !f.endsWith('.sig') && !f.endsWith('.lock')).map((f) => relative(process.cwd(), f) || f);
      const state = result.exitCode === EXIT.ok ? 'ok' : `exit ${result.exitCode}`;
      process.stderr.write(`${name}: [watch] ${result.summary || 'clean'} (${state}); watching ${shown.length} file${shown.length === 1 ? '' : 's'} (Ctrl-C stops)\n`);
    };
    const stop = (): void => {
      if (timer) clearTimeout(timer);
      for (const f of watched) unwatchFile(f, onChange);
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
