/** Words for the errno codes people meet; anything else keeps its code. */
const WORDS: ReadonlyMap<string, string> = new Map([
  ['ENOENT', 'no such file'],
  ['EISDIR', 'is a directory'],
  ['ENOTDIR', 'a part of the path is not a directory'],
  ['EACCES', 'permission denied'],
  ['EPERM', 'operation not permitted'],
  ['ELOOP', 'too many symbolic links'],
  ['ENAMETOOLONG', 'the name is too long'],
  ['EMFILE', 'too many open files'],
  ['ENOSPC', 'no space left on the device'],
  ['EROFS', 'read-only file system'],
  ['EEXIST', 'it already exists'],
]);

/**
 * The house style of an I/O error, one line, the same in both CLIs and the
 * runtime's loaders: ``cannot read `x`: no such file`` (with `what`:
 * ``cannot read trust file `x`: no such file``). `-` is standard input.
 */
export function ioErrorMessage(verb: 'read' | 'write', file: string, e: unknown, what?: string): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const why = (typeof code === 'string' ? WORDS.get(code) : undefined) ?? code ?? (e instanceof Error ? e.message.split('\n')[0] : String(e));
  return `cannot ${verb}${what ? ` ${what}` : ''} \`${file === '-' ? '<stdin>' : file}\`: ${why}`;
}
