import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError, EXIT, EXIT_CODES_HELP, formatOption, ioErrorMessage, JSON_VERSION } from '@fms/runtime/cli-kit';
import { parseTrustRoots, PackRefusal } from '@fms/runtime';
import { parsePublicKey } from '@fms/runtime/crypto';
import { isValidPackName } from '@fms/runtime/format';
import { writeFileAtomic } from '@fms/runtime/write-file-atomic';
import { displayKeyUri } from './build';
import { kmsSigner, localEd25519Signer, trustEntryFor, type TrustKeyEntry } from '../../sign/index';

/** Largest trust file `fmsc trust` reads (a real one is a few KiB). */
export const MAX_TRUST_FILE_BYTES = 1 << 20;

const KEYID_RE = /^sha256:[0-9a-f]{64}$/;
const PUBLIC_PEM = /-----BEGIN PUBLIC KEY-----/;

/** The trust file as JSON, edited in place so fields this tool does not manage (`expected_name`, `deployments`, comments) survive. */
interface TrustJson {
  version: 1;
  comment?: string;
  keys: TrustKeyEntry[];
  scopes: ScopeJson[];
  revoked?: string[];
  [other: string]: unknown;
}

interface ScopeJson {
  prefix: string;
  keys: string[];
  threshold: number;
  min_serial?: number;
  comment?: string;
}

/** Throws the one-line usage error (exit 2) of `fmsc trust`. */
function fail(message: string): never {
  throw new CliError(message, EXIT.usage);
}

/**
 * Reads a trust file for editing: a regular file (not a symlink, a directory
 * or a device), at most {@link MAX_TRUST_FILE_BYTES}, valid JSON that the
 * runtime's own parser accepts. Anything else is refused, so that a file
 * `fms-run` would refuse (or one that is not a trust file at all) is never
 * overwritten.
 */
export function readTrustFile(path: string): TrustJson {
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    fail(ioErrorMessage('read', path, e, 'trust file') + ((e as NodeJS.ErrnoException).code === 'ENOENT' ? ' (create it with `fmsc trust init`)' : ''));
  }
  if (st.isSymbolicLink()) fail(`trust file \`${path}\` is a symlink: edit the file it points to, so the link is not replaced by a copy`);
  if (!st.isFile()) fail(`trust file \`${path}\` is not a regular file`);
  let fd: number;
  try {
    // No symlink, no blocking on a FIFO swapped in after the lstat: the descriptor is checked again below.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') fail(`trust file \`${path}\` is a symlink: edit the file it points to, so the link is not replaced by a copy`);
    fail(ioErrorMessage('read', path, e, 'trust file'));
  }
  let text: string;
  try {
    const fst = fstatSync(fd);
    if (!fst.isFile()) fail(`trust file \`${path}\` is not a regular file`);
    const size = fst.size;
    if (size > MAX_TRUST_FILE_BYTES) fail(`trust file \`${path}\` is larger than ${MAX_TRUST_FILE_BYTES} bytes: refusing to read it`);
    const buf = Buffer.alloc(size + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n > size) fail(`trust file \`${path}\` grew while it was read: try again`);
    }
    text = buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`\`${path}\` is not valid JSON (${(e as Error).message.split('\n')[0]!.slice(0, 120)}): fix it by hand; fmsc trust never overwrites a file it cannot read`);
  }
  try {
    parseTrustRoots(json);
  } catch (e) {
    if (e instanceof PackRefusal) fail(`\`${path}\` is not a trust file fms-run accepts: ${e.message}; fix it by hand first`);
    throw e;
  }
  // INVARIANT: parseTrustRoots accepted it, so version is 1 and keys/scopes are well-formed arrays.
  const t = json as TrustJson;
  // The runtime ignores comments; this tool prints and rewrites them, so they must be plain strings.
  const comments: [string, unknown][] = [
    ['comment', t.comment],
    ...t.keys.map((k, i): [string, unknown] => [`keys[${i}].comment`, k.comment]),
    ...t.scopes.map((x, i): [string, unknown] => [`scopes[${i}].comment`, x.comment]),
  ];
  for (const [where, v] of comments) if (v !== undefined && typeof v !== 'string') fail(`\`${path}\`: \`${where}\` must be a string; fix it by hand first`);
  return t;
}

/** Validates `trust` with the runtime's parser and writes it atomically with mode 0644; never writes a file fms-run would refuse. */
export function writeTrustFile(path: string, trust: TrustJson): void {
  try {
    parseTrustRoots(trust);
  } catch (e) {
    if (e instanceof PackRefusal) fail(`refusing to write \`${path}\`: the result would be invalid (${e.message})`);
    throw e;
  }
  try {
    writeFileAtomic(path, JSON.stringify(trust, null, 2) + '\n', { mode: 0o644 });
  } catch (e) {
    fail(ioErrorMessage('write', path, e, 'trust file'));
  }
}

/** A full key id argument (`sha256:` + 64 hex), else a one-line error. */
function keyIdArg(id: string): string {
  if (!KEYID_RE.test(id)) fail(`\`${id.slice(0, 80)}\` is not a key id: expected \`sha256:<64 hex>\` (see \`fmsc trust show\`)`);
  return id;
}

/** A scope prefix argument (`*` or a pack-name prefix). */
function scopeArg(prefix: string): string {
  if (prefix !== '*' && !isValidPackName(prefix))
    fail(`scope \`${prefix.slice(0, 80)}\` must be \`*\` or a pack-name prefix like \`acme/payments\``);
  return prefix;
}

/** A whole-number argument in [min, max]. */
function intArg(flag: string, v: string, min: number): number {
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < min) fail(`${flag} must be a whole number ≥ ${min}`);
  return Number(v);
}

/**
 * The trust entry for `--key FILE` (a public key PEM, or a private key file:
 * its public half is derived; an encrypted one asks for its passphrase) or
 * `--kms URI` (the public key is fetched through the signer, nothing is
 * signed).
 */
async function entryFor(o: { key?: string; kms?: string; comment?: string }): Promise<{ entry: TrustKeyEntry; source: string }> {
  if (!!o.key === !!o.kms) fail('give exactly one of `--key FILE` (a key file or public key pem) or `--kms URI`');
  if (o.kms) {
    let s;
    try {
      s = await kmsSigner(o.kms);
    } catch (e) {
      fail(`cannot read the public key of \`${displayKeyUri(o.kms)}\`: ${(e as Error).message}`);
    }
    try {
      return { entry: trustEntryFor(s, o.comment), source: s.description };
    } finally {
      await s.close?.();
    }
  }
  const file = o.key as string;
  let text = '';
  try {
    const st = statSync(file);
    if (!st.isFile()) fail(`key file \`${file}\` is not a regular file`);
    if (st.isFile() && st.size <= 64 * 1024) {
      const fd = openSync(file, 'r');
      try {
        const buf = Buffer.alloc(st.size);
        readSync(fd, buf, 0, st.size, 0);
        text = buf.toString('utf8');
      } finally {
        closeSync(fd);
      }
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    fail(ioErrorMessage('read', file, e, 'key file'));
  }
  if (PUBLIC_PEM.test(text)) {
    let info;
    try {
      info = parsePublicKey(text);
    } catch (e) {
      fail(`\`${file}\`: ${(e as Error).message}`);
    }
    return { entry: trustEntryFor({ keyId: info.keyId, algorithm: info.algorithm, publicKeySpki: info.spki }, o.comment), source: `public key \`${file}\`` };
  }
  try {
    const s = localEd25519Signer(file);
    return { entry: trustEntryFor(s, o.comment), source: s.description };
  } catch (e) {
    fail(`${(e as Error).message} (nor a public key pem)`);
  }
}

/** Prints the result of an edit: one line on stderr, or JSON on stdout. */
function report(format: string, path: string, action: string, line: string, extra: Record<string, unknown> = {}): void {
  if (format === 'json') process.stdout.write(JSON.stringify({ version: JSON_VERSION, tool: 'fmsc', ok: true, file: path, action, ...extra }) + '\n');
  else process.stderr.write(`fmsc: ${path}: ${line}\n`);
}

/** The human table of `fmsc trust show`. */
export function renderTrust(path: string, t: TrustJson): string {
  const revoked = new Set(t.revoked ?? []);
  const out: string[] = [`trust file ${path} (version ${t.version})${t.comment ? `: ${t.comment}` : ''}`];
  out.push(`keys (${t.keys.length}):`);
  if (t.keys.length === 0) out.push('  (none: add one with `fmsc trust add FILE --key KEYFILE` or `--kms URI`)');
  const idw = 71;
  for (const k of t.keys) out.push(`  ${k.id.padEnd(idw)}  ${k.algorithm.padEnd(17)}  ${revoked.has(k.id) ? 'REVOKED  ' : ''}${k.comment ?? ''}`.trimEnd());
  out.push(`scopes (${t.scopes.length}):`);
  if (t.scopes.length === 0) out.push('  (none: no pack is accepted)');
  for (const s of t.scopes) {
    out.push(`  ${s.prefix}  threshold ${s.threshold} of ${s.keys.length}  min_serial ${s.min_serial ?? 0}${s.comment ? `  ${s.comment}` : ''}`);
    for (const id of s.keys) out.push(`    ${id}${revoked.has(id) ? '  REVOKED' : ''}`);
  }
  if (revoked.size > 0) out.push(`revoked (${revoked.size}):`, ...[...revoked].map((id) => `  ${id}`));
  if (typeof t.expected_name === 'string') out.push(`expected_name: ${t.expected_name}`);
  if (t.require_expected_name === true) out.push('require_expected_name: true');
  if (t.deployments && typeof t.deployments === 'object') {
    const d = Object.entries(t.deployments as Record<string, { expected_name: string }>);
    out.push(`deployments (${d.length}):`, ...d.map(([id, v]) => `  ${id} → ${v.expected_name}`));
  }
  return out.join('\n') + '\n';
}

interface AddOpts {
  key?: string;
  kms?: string;
  scope: string[];
  comment?: string;
  threshold?: string;
  format: string;
}

/** Registers `fmsc trust init|add|remove|set|revoke|show FILE`: edits the trust file `fms-run` reads. */
export function register(program: Command): void {
  const trust = program
    .command('trust')
    .description('create and edit a trust file (the pinned keys, scopes and thresholds fms-run verifies packs against)')
    .addHelpText(
      'after',
      '\nEvery edit re-reads the file with the runtime\'s own parser and refuses to touch a file fms-run would refuse\n' +
        '(or a symlink, a directory, a file over 1 MiB); the result is validated the same way and written atomically (mode 0644).\n',
    );
  const collect = (v: string, prev: string[]): string[] => [...prev, v];

  trust
    .command('init')
    .description('write a new trust file with no keys and no scopes (it accepts no pack until keys are added)')
    .argument('<file>', 'the trust file to create')
    .option('--force', 'replace an existing file')
    .option('--comment <text>', 'a comment stored in the file')
    .addOption(formatOption())
    .action((file: string, o: { force?: boolean; comment?: string; format: string }) => {
      let exists = true;
      try {
        lstatSync(file);
      } catch {
        exists = false;
      }
      if (exists && !o.force) fail(`\`${file}\` already exists (use --force to replace it, or edit it with \`fmsc trust add\`)`);
      const t: TrustJson = { version: 1, ...(o.comment ? { comment: o.comment } : {}), keys: [], scopes: [] };
      writeTrustFile(file, t);
      report(o.format, file, 'init', 'created an empty trust file (no keys, no scopes: it accepts no pack yet)');
    });

  trust
    .command('add')
    .description('pin a public key (from a key file, a public key pem or a kms/hsm uri) for one or more scopes')
    .argument('<file>', 'the trust file (from `fmsc trust init`)')
    .option('--key <file>', 'a key file from `fmsc keygen` (its public half is pinned) or a public key pem')
    .option('--kms <uri>', 'pkcs11:…, awskms://…, gcpkms://…, azurekms://…, hashivault://…, file:… (only the public key is read)')
    .option('--scope <prefix>', 'pack-name prefix the key may sign for, or `*` for every pack; repeatable (default: *)', collect, [])
    .option('--threshold <n>', 'set the threshold of the named scopes (a new scope starts at 1)')
    .option('--comment <text>', 'a comment for the key')
    .addOption(formatOption())
    .action(async (file: string, o: AddOpts) => {
      const t = readTrustFile(file);
      const scopes = (o.scope.length ? o.scope : ['*']).map(scopeArg);
      if (new Set(scopes).size !== scopes.length) fail('the same --scope was given twice');
      const threshold = o.threshold === undefined ? undefined : intArg('--threshold', o.threshold, 1);
      const { entry, source } = await entryFor(o);
      const had = t.keys.find((k) => k.id === entry.id);
      if (had) {
        if (o.comment !== undefined) had.comment = o.comment;
      } else t.keys.push(entry);
      for (const prefix of scopes) {
        let s = t.scopes.find((x) => x.prefix === prefix);
        if (!s) {
          s = { prefix, keys: [], threshold: 1 };
          t.scopes.push(s);
        }
        if (!s.keys.includes(entry.id)) s.keys.push(entry.id);
        if (threshold !== undefined) {
          if (threshold > s.keys.length) fail(`--threshold ${threshold} is more than the ${s.keys.length} key(s) of scope \`${prefix}\``);
          s.threshold = threshold;
        }
      }
      const revokedNote = (t.revoked ?? []).includes(entry.id) ? ' (note: this key is revoked; `fmsc trust revoke --undo` lifts that)' : '';
      writeTrustFile(file, t);
      report(
        o.format,
        file,
        'add',
        `${had ? 'key already pinned' : 'pinned'} ${entry.id} (${entry.algorithm}, ${source}) for scope${scopes.length > 1 ? 's' : ''} ${scopes.map((p) => `\`${p}\``).join(', ')}${revokedNote}`,
        { key_id: entry.id, algorithm: entry.algorithm, source, scopes },
      );
    });

  trust
    .command('remove')
    .description('unpin a key: drop it from `keys` and from every scope (a scope left without keys is dropped)')
    .argument('<file>', 'the trust file')
    .argument('<keyid>', 'the full key id (sha256:…)')
    .addOption(formatOption())
    .action((file: string, keyid: string, o: { format: string }) => {
      const id = keyIdArg(keyid);
      const t = readTrustFile(file);
      if (!t.keys.some((k) => k.id === id)) fail(`no key \`${id}\` in \`${file}\``);
      const dropped: string[] = [];
      for (const s of t.scopes) {
        if (!s.keys.includes(id)) continue;
        const left = s.keys.filter((k) => k !== id);
        if (left.length > 0 && s.threshold > left.length)
          fail(`scope \`${s.prefix}\` needs ${s.threshold} signatures and would keep ${left.length} key(s): lower it first (\`fmsc trust set ${file} --scope ${s.prefix} --threshold ${left.length}\`)`);
        s.keys = left;
        if (left.length === 0) dropped.push(s.prefix);
      }
      t.scopes = t.scopes.filter((s) => s.keys.length > 0);
      t.keys = t.keys.filter((k) => k.id !== id);
      writeTrustFile(file, t);
      report(o.format, file, 'remove', `removed ${id}${dropped.length ? `; dropped scope${dropped.length > 1 ? 's' : ''} left without keys: ${dropped.map((p) => `\`${p}\``).join(', ')}` : ''}`, {
        key_id: id,
        dropped_scopes: dropped,
      });
    });

  trust
    .command('set')
    .description("change a scope's threshold, min_serial or comment")
    .argument('<file>', 'the trust file')
    .requiredOption('--scope <prefix>', 'the scope to change (`*` or a pack-name prefix)')
    .option('--threshold <n>', 'signatures from this many distinct keys of the scope are required')
    .option('--min-serial <n>', 'packs with a lower serial are refused')
    .option('--comment <text>', 'a comment for the scope')
    .addOption(formatOption())
    .action((file: string, o: { scope: string; threshold?: string; minSerial?: string; comment?: string; format: string }) => {
      const prefix = scopeArg(o.scope);
      if (o.threshold === undefined && o.minSerial === undefined && o.comment === undefined) fail('nothing to set: give --threshold, --min-serial or --comment');
      const t = readTrustFile(file);
      const s = t.scopes.find((x) => x.prefix === prefix);
      if (!s) fail(`no scope \`${prefix}\` in \`${file}\`: add a key to it with \`fmsc trust add ${file} --key FILE --scope ${prefix}\``);
      if (o.threshold !== undefined) {
        const n = intArg('--threshold', o.threshold, 1);
        if (n > s.keys.length) fail(`--threshold ${n} is more than the ${s.keys.length} key(s) of scope \`${prefix}\``);
        s.threshold = n;
      }
      if (o.minSerial !== undefined) {
        const n = intArg('--min-serial', o.minSerial, 0);
        if (n < (s.min_serial ?? 0)) process.stderr.write(`fmsc: warning: lowering min_serial of scope \`${prefix}\` from ${s.min_serial} to ${n} lets older packs load again\n`);
        s.min_serial = n;
      }
      if (o.comment !== undefined) s.comment = o.comment;
      writeTrustFile(file, t);
      report(o.format, file, 'set', `scope \`${prefix}\`: threshold ${s.threshold} of ${s.keys.length}, min_serial ${s.min_serial ?? 0}`, {
        scope: prefix,
        threshold: s.threshold,
        min_serial: s.min_serial ?? 0,
      });
    });

  trust
    .command('revoke')
    .description('revoke a key id: its signatures never count, even where a scope lists it (--undo lifts it)')
    .argument('<file>', 'the trust file')
    .argument('<keyid>', 'the full key id (sha256:…); it need not be pinned')
    .option('--undo', 'remove the key id from `revoked`')
    .addOption(formatOption())
    .action((file: string, keyid: string, o: { undo?: boolean; format: string }) => {
      const id = keyIdArg(keyid);
      const t = readTrustFile(file);
      const list = t.revoked ?? [];
      if (o.undo) {
        if (!list.includes(id)) fail(`\`${id}\` is not revoked in \`${file}\``);
        t.revoked = list.filter((x) => x !== id);
        if (t.revoked.length === 0) delete t.revoked;
      } else {
        if (list.includes(id)) fail(`\`${id}\` is already revoked in \`${file}\``);
        t.revoked = [...list, id];
      }
      writeTrustFile(file, t);
      report(o.format, file, o.undo ? 'unrevoke' : 'revoke', `${o.undo ? 'no longer revoked' : 'revoked'}: ${id}`, { key_id: id, revoked: !o.undo });
    });

  trust
    .command('show')
    .description('print the keys, scopes and revocations of a trust file (validated as fms-run reads it)')
    .argument('<file>', 'the trust file')
    .addOption(formatOption())
    .action((file: string, o: { format: string }) => {
      const t = readTrustFile(file);
      if (o.format === 'json') process.stdout.write(JSON.stringify({ version: JSON_VERSION, tool: 'fmsc', ok: true, file, trust: t }) + '\n');
      else process.stdout.write(renderTrust(file, t));
    });

  // runProgram maps usage errors to exit 2 for the top-level commands; do the same one level down.
  for (const sub of trust.commands) {
    sub.exitOverride();
    sub.addHelpText('after', EXIT_CODES_HELP);
  }
}
