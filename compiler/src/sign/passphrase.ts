import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/** Environment variable that supplies the passphrase of an encrypted key file (as `COSIGN_PASSWORD` does for cosign). */
export const KEY_PASSWORD_ENV = 'FMS_KEY_PASSWORD';

/** Longest passphrase read from a terminal (bytes). */
const MAX_PASSPHRASE = 4096;

/**
 * Asks for a passphrase on the controlling terminal with echo off (`stty
 * -echo`), synchronously, and returns it; `undefined` when standard input is
 * not a terminal or there is no `/dev/tty`. The passphrase is never echoed,
 * logged or written anywhere; echo is restored even when reading fails.
 */
export function promptPassphraseOnTty(prompt: string): string | undefined {
  if (!process.stdin.isTTY) return undefined;
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    return undefined;
  }
  try {
    const stty = (arg: string): boolean => spawnSync('stty', [arg], { stdio: [fd, 'ignore', 'ignore'] }).status === 0;
    if (!stty('-echo')) throw new Error('cannot turn off terminal echo to ask for the passphrase');
    const bytes: number[] = [];
    try {
      writeSync(fd, prompt);
      const one = Buffer.alloc(1);
      for (;;) {
        let n: number;
        try {
          n = readSync(fd, one, 0, 1, null);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
          throw e;
        }
        if (n === 0 || one[0] === 0x0a || one[0] === 0x0d) break;
        if (bytes.length >= MAX_PASSPHRASE) throw new Error(`passphrase longer than ${MAX_PASSPHRASE} bytes`);
        bytes.push(one[0]!);
      }
    } finally {
      stty('echo');
      writeSync(fd, '\n');
    }
    const text = Buffer.from(bytes).toString('utf8');
    bytes.fill(0);
    return text;
  } finally {
    closeSync(fd);
  }
}

/**
 * The passphrase for `what`: `FMS_KEY_PASSWORD` when set, else a no-echo
 * prompt on the terminal, else a one-line error saying how to give one.
 * `confirm` asks twice on a terminal (for a new key) and refuses a mismatch.
 */
export function readPassphrase(what: string, opts: { env?: NodeJS.ProcessEnv; confirm?: boolean } = {}): string {
  const env = opts.env ?? process.env;
  const fromEnv = env[KEY_PASSWORD_ENV];
  if (fromEnv !== undefined) return fromEnv;
  const first = promptPassphraseOnTty(`passphrase for ${what}: `);
  if (first === undefined) throw new Error(`${what} needs a passphrase: set ${KEY_PASSWORD_ENV} or run on a terminal to be asked`);
  if (opts.confirm) {
    const again = promptPassphraseOnTty(`repeat the passphrase for ${what}: `);
    if (again !== first) throw new Error('the passphrases do not match');
  }
  return first;
}
