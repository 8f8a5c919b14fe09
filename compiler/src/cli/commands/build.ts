import { createHash } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError, EXIT, formatOption, ioErrorMessage, JSON_VERSION } from '@fms/runtime/cli-kit';
import { toJson } from '../../diagnostics/render';
import { writeFileAtomic } from '@fms/runtime/write-file-atomic';
import { EmitError, emitPackBody } from '../../emit/emit-body';
import { parseDurationString } from '../../ir/schema';
import { createSignedPack, createUnsignedPack, devKeySigner, kmsSigner, localEd25519Signer, type Signer } from '../../sign/index';
import { compileFile, fails, lockedOption, noLockedOption, printDiagnostics, settleLock } from '../load';

interface BuildOpts {
  output?: string;
  key: string[];
  kms: string[];
  unsigned?: boolean;
  name?: string;
  serial?: string;
  expires?: string;
  strict?: boolean;
  allowUnsetEnv?: boolean;
  registry?: string;
  locked?: boolean;
  format: string;
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

/** The build time: SOURCE_DATE_EPOCH when set (reproducible builds), else the clock. */
function buildTime(): Date {
  const sde = process.env.SOURCE_DATE_EPOCH;
  if (sde === undefined || sde === '') return new Date(Math.floor(Date.now() / 1000) * 1000);
  if (!/^\d+$/.test(sde)) throw new CliError('SOURCE_DATE_EPOCH must be whole seconds since the epoch', EXIT.usage);
  return new Date(Number(sde) * 1000);
}

/** Collects a repeatable option's values in order. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Is this a CI run (`CI` set, non-empty, not `false`/`0`)? The development key is never used there. */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v.toLowerCase() !== 'false' && v !== '0';
}

/**
 * A key URI as messages show it: a PKCS#11 `pin-value` (RFC 7512) is
 * replaced by `***`, so a PIN typed into a URI never reaches stderr or logs.
 */
export function displayKeyUri(uri: string): string {
  return uri.replace(/(pin-value=)[^&;?]*/gi, '$1***').slice(0, 300);
}

/** The one-line refusal of the development key under CI. */
export const CI_NEEDS_KEY = 'CI=true: name a signing key with --key FILE or --kms URI (the development key is for local use only)';

/** A pack whose expiry is this close to now (or past) draws a warning (`--strict`: an error). */
const EXPIRY_WARN_MS = 24 * 3600 * 1000;

/**
 * Opens exactly the signers named (`--key` files, then `--kms` URIs, in
 * order); the development key only when none is named and not under CI.
 * The same key named twice (by any route) is a one-line usage error.
 * Closes whatever it opened when it fails.
 */
async function openBuildSigners(o: BuildOpts): Promise<{ signers: Signer[]; notice?: string }> {
  if (o.key.length === 0 && o.kms.length === 0) {
    if (isCi()) throw new CliError(CI_NEEDS_KEY, EXIT.usage);
    try {
      const dev = devKeySigner();
      return { signers: [dev], notice: dev.notice };
    } catch (e) {
      throw new CliError(`cannot use the development key: ${(e as Error).message}`, EXIT.usage);
    }
  }
  const signers: Signer[] = [];
  const named = new Map<string, string>();
  const close = async (): Promise<void> => {
    for (const s of signers) await s.close?.();
  };
  const routes: [string, () => Promise<Signer> | Signer][] = [
    ...o.key.map((k): [string, () => Signer] => [`--key ${k}`, () => localEd25519Signer(k)]),
    ...o.kms.map((u): [string, () => Promise<Signer>] => [`--kms ${displayKeyUri(u)}`, () => kmsSigner(u)]),
  ];
  for (const [route, open] of routes) {
    let s: Signer;
    try {
      s = await open();
    } catch (e) {
      await close();
      throw new CliError(`cannot use the signing key (${route}): ${(e as Error).message}`, EXIT.usage);
    }
    signers.push(s);
    const prev = named.get(s.keyId);
    if (prev !== undefined) {
      await close();
      throw new CliError(`key \`${s.keyId}\` is named twice (${prev} and ${route}): each key signs once`, EXIT.usage);
    }
    named.set(s.keyId, route);
  }
  return { signers };
}

/** Registers `fmsc build`. */
export function register(program: Command): void {
  program
    .command('build')
    .description('compile governance.fms into a signed policy pack (.fmspack)')
    .argument('<file>', 'the policy (governance.fms)')
    .option('-o, --output <pack>', 'pack to write (default: the source name with .fmspack)')
    .option('--key <file>', 'sign with this Ed25519 key file (from `fmsc keygen`; encrypted: $FMS_KEY_PASSWORD or a prompt); repeatable', collect, [])
    .option('--kms <uri>', 'sign with this kms/hsm key: pkcs11:…, awskms://…, gcpkms://…, azurekms://…, hashivault://…, file:…; repeatable', collect, [])
    .option('--unsigned', 'write a pack with no signature, to sign later with `fmsc sign` (every verifier refuses it until then)')
    .option('--name <org/stack>', "pack name (default: the source folder's name)")
    .option('--serial <n>', 'pack serial, must grow with every release (default: build time in seconds, SOURCE_DATE_EPOCH when set)')
    .option('--expires <when>', 'expiry: a duration such as 90d or an ISO 8601 date (default 90d)')
    .option('--strict', 'warnings fail the build (also an expiry within 24 h)')
    .option('--allow-unset-env', 'has no effect: build refuses unset env("NAME") values always (use it with `fmsc check`)')
    .option('--registry <dir>', 'registry folder for imports (default: $FMS_REGISTRY or .fms/registry next to the file)')
    .addOption(lockedOption())
    .addOption(noLockedOption())
    .addOption(formatOption())
    .addHelpText(
      'after',
      '\nSigning: exactly the keys named by --key and --kms sign, once each. With none named, the development key\n' +
        '(created on first use) signs, except under CI=true, where a key must be named. --unsigned writes no signature.\n',
    )
    .action(async (file: string, o: BuildOpts) => {
      if (o.unsigned && (o.key.length > 0 || o.kms.length > 0)) throw new CliError('--unsigned cannot be combined with --key or --kms: drop one of them', EXIT.usage);
      // Before compiling: a CI run without a named key fails at once, whatever the policy says.
      if (!o.unsigned && o.key.length === 0 && o.kms.length === 0 && isCi()) throw new CliError(CI_NEEDS_KEY, EXIT.usage);
      // A pack never carries an unset env() value, whatever the flags (issue 18).
      const flags: { allowUnsetEnv?: boolean; registry?: string } = { allowUnsetEnv: false };
      if (o.registry) flags.registry = o.registry;
      const { text, result } = compileFile(file, { ...flags, locked: o.locked });
      printDiagnostics(result.diagnostics, new Map([[file, text]]), false);
      if (!result.ir || fails(result.diagnostics, o.strict)) {
        if (o.format === 'json') process.stdout.write(toJson(result.diagnostics, new Map([[file, text]]), { ok: false }));
        process.exitCode = EXIT.diagnostics;
        return;
      }
      const ir = result.ir;
      settleLock(file, ir, { locked: o.locked });
      const name = o.name ?? basename(dirname(resolve(file))).toLowerCase();
      if (!NAME_RE.test(name)) throw new CliError(`pack name \`${name}\` is not valid: use lower-case segments separated by \`/\`, e.g. --name acme/payments`, EXIT.usage);
      const createdAt = buildTime();
      let serial = Math.floor(createdAt.getTime() / 1000);
      if (o.serial !== undefined) {
        if (!/^\d+$/.test(o.serial) || !Number.isSafeInteger(Number(o.serial))) throw new CliError('--serial must be a whole number ≥ 0', EXIT.usage);
        serial = Number(o.serial);
      }
      let expiresAt = new Date(createdAt.getTime() + 90 * 86400 * 1000);
      if (o.expires !== undefined) {
        const secs = parseDurationString(o.expires);
        const date = secs === undefined ? Date.parse(o.expires) : NaN;
        if (secs !== undefined && secs > 0) expiresAt = new Date(createdAt.getTime() + secs * 1000);
        else if (Number.isFinite(date) && date > createdAt.getTime()) expiresAt = new Date(date);
        else throw new CliError('--expires must be a duration such as 30d or a future ISO 8601 date', EXIT.usage);
      }
      let body: Uint8Array;
      try {
        body = emitPackBody(ir);
      } catch (e) {
        if (e instanceof EmitError) throw new CliError(`cannot emit the pack: ${e.message}`, EXIT.diagnostics);
        throw e;
      }
      const untilExpiry = expiresAt.getTime() - Date.now();
      if (untilExpiry <= EXPIRY_WARN_MS) {
        const when = untilExpiry <= 0 ? 'is already past' : `is within 24 h (in ${Math.ceil(untilExpiry / 60_000)} min)`;
        const msg = `the pack expiry ${expiresAt.toISOString()} ${when}: runtimes will refuse it${untilExpiry <= 0 ? '' : ' soon'} (set a later --expires, or check SOURCE_DATE_EPOCH)`;
        if (o.strict) throw new CliError(`${msg} [--strict]`, EXIT.diagnostics);
        process.stderr.write(`fmsc: warning: ${msg}\n`);
      }
      const input = {
        body,
        name,
        serial,
        createdAt,
        expiresAt,
        sourceSha256: createHash('sha256').update(text).digest('hex'),
        imports: ir.imports.flatMap((i) => (i.sha256 ? [{ ref: i.ref, sha256: i.sha256 }] : [])),
      };
      let pack: Uint8Array;
      let signers: Signer[] = [];
      let notice: string | undefined;
      if (o.unsigned) pack = createUnsignedPack(input);
      else {
        ({ signers, notice } = await openBuildSigners(o));
        try {
          pack = await createSignedPack({ ...input, signer: signers });
        } catch (e) {
          throw new CliError(`cannot sign the pack: ${(e as Error).message}`, EXIT.usage);
        } finally {
          for (const s of signers) await s.close?.();
        }
      }
      const out = o.output ?? (file.endsWith('.fms') ? file.slice(0, -4) : file) + '.fmspack';
      try {
        writeFileAtomic(out, pack);
      } catch (e) {
        throw new CliError(ioErrorMessage('write', out, e), EXIT.usage);
      }
      const rules = ir.agents.reduce((n, a) => n + a.rules.length, 0);
      const digest = createHash('sha256').update(body).digest('hex');
      if (notice) process.stderr.write(`fmsc: ${notice}\n`);
      const signedBy = signers.length === 0 ? 'unsigned (sign it with `fmsc sign`)' : `signed by ${signers.map((s) => `${s.keyId.slice(0, 23)}…`).join(', ')}`;
      process.stderr.write(
        `fmsc: wrote ${out}: pack \`${name}\` serial ${serial}, ${ir.agents.length} agent${ir.agents.length === 1 ? '' : 's'}, ${rules} rule${rules === 1 ? '' : 's'}, ${pack.length} bytes, body sha256 ${digest.slice(0, 16)}…, ${signedBy}\n`,
      );
      if (o.format === 'json') {
        process.stdout.write(
          JSON.stringify({ version: JSON_VERSION, tool: 'fmsc', ok: true, pack: out, name, serial, agents: ir.agents.length, rules, bytes: pack.length, body_sha256: digest,
            key_id: signers[0]?.keyId ?? null,
            signed: signers.length > 0,
            signatures: signers.map((s) => ({ key_id: s.keyId, algorithm: s.algorithm, source: s.description })),
            expires_at: expiresAt.toISOString(),
          }) + '\n',
        );
      }
    });
}
