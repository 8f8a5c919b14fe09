/**
 * The extension's commands as `fmsc` invocations, without VS Code: each
 * builder returns the argument vector (never a shell string), so a file name
 * with spaces or quotes is one argument.
 */

/** The settings the commands read (`fms.*` in VS Code). */
export interface FmsSettings {
  /** `fms.fmscPath`: the fmsc executable; empty = the workspace's node_modules/.bin/fmsc, else `fmsc` on PATH. */
  fmscPath: string;
  /** `fms.trustFile`: trust roots JSON for verifying packs (empty = fmsc's default, $FMS_TRUST). */
  trustFile: string;
  /** `fms.registry`: registry folder for imports (empty = fmsc's default). */
  registry: string;
}

/** The commands the extension contributes (ids as in package.json). */
export const COMMAND_IDS = [
  'fms.check',
  'fms.format',
  'fms.buildPack',
  'fms.inspectPack',
  'fms.runFixtures',
  'fms.showOutput',
] as const;
export type CommandId = (typeof COMMAND_IDS)[number];

/** An fmsc invocation: argv after the executable, and text for stdin if any. */
export interface Invocation {
  args: string[];
  stdin?: string;
}

const registryArgs = (s: FmsSettings): string[] => (s.registry.trim() ? ['--registry', s.registry.trim()] : []);

/** `fmsc check --format json FILE` (diagnostics as JSON on stdout). */
export function checkArgs(file: string, s: FmsSettings): Invocation {
  return { args: ['check', '--format', 'json', ...registryArgs(s), '--', file] };
}

/** `fmsc fmt -` with the document on stdin (the formatted text comes back on stdout). */
export function formatArgs(text: string): Invocation {
  return { args: ['fmt', '-'], stdin: text };
}

/** `fmsc build FILE` (writes the pack next to the source). */
export function buildArgs(file: string, s: FmsSettings): Invocation {
  return { args: ['build', ...registryArgs(s), '--', file] };
}

/** `fmsc verify PACK --trust FILE` when a trust file is set (run before inspecting), else nothing. */
export function verifyArgs(pack: string, s: FmsSettings): Invocation | undefined {
  return s.trustFile.trim() ? { args: ['verify', '--trust', s.trustFile.trim(), '--', pack] } : undefined;
}

/** `fmsc inspect PACK`. */
export function inspectArgs(pack: string): Invocation {
  return { args: ['inspect', '--', pack] };
}

/** `fmsc test FIXTURE…`. */
export function testArgs(fixtures: readonly string[], s: FmsSettings): Invocation {
  return { args: ['test', ...registryArgs(s), '--', ...fixtures] };
}

/** The pack `fmsc build FILE` writes: the source name with `.fmspack`. */
export function packPathFor(source: string): string {
  return source.replace(/\.(fms|fpl)$/i, '') + '.fmspack';
}

/**
 * Which fmsc to run: the setting when set; else the workspace's
 * `node_modules/.bin/fmsc` when `exists` says it is there; else `fmsc` on PATH.
 */
export function resolveFmsc(s: FmsSettings, workspaceRoots: readonly string[], exists: (path: string) => boolean, join: (...p: string[]) => string): string {
  if (s.fmscPath.trim()) return s.fmscPath.trim();
  for (const root of workspaceRoots) {
    const local = join(root, 'node_modules', '.bin', 'fmsc');
    if (exists(local)) return local;
  }
  return 'fmsc';
}

/** Reads `fms.*` settings through `get` (VS Code's configuration), every value a string whatever was stored. */
export function readSettings(get: (key: string) => unknown): FmsSettings {
  const str = (k: string): string => {
    const v = get(k);
    return typeof v === 'string' ? v : '';
  };
  return { fmscPath: str('fmscPath'), trustFile: str('trustFile'), registry: str('registry') };
}
