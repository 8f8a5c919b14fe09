import { createHash } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError, EXIT, formatOption, ioErrorMessage, JSON_VERSION } from '@fms/runtime/cli-kit';
import { toJson } from '../../diagnostics/render';
import { writeFileAtomic } from '@fms/runtime/write-file-atomic';
import { EmitError, emitPackBody } from '../../emit/emit-body';
import { parseDurationString } from '../../ir/schema';
import { createSignedPack, devKeySigner, localEd25519Signer, type Signer } from '../../sign/index';
import { compileFile, fails, lockedOption, noLockedOption, printDiagnostics, settleLock } from '../load';

interface BuildOpts {
  output?: string;
  key?: string;
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

/** Registers `fmsc build`. */
export function register(program: Command): void {
  program
    .command('build')
    .description('compile governance.fms into a signed policy pack (.fmspack)')
    .argument('<file>', 'the policy (governance.fms)')
    .option('-o, --output <pack>', 'pack to write (default: the source name with .fmspack)')
    .option('--key <file>', 'sign with this Ed25519 key (from `fmsc keygen`); default: the development key, created on first use')
    .option('--name <org/stack>', "pack name (default: the source folder's name)")
    .option('--serial <n>', 'pack serial, must grow with every release (default: build time in seconds, SOURCE_DATE_EPOCH when set)')
    .option('--expires <when>', 'expiry: a duration such as 90d or an ISO 8601 date (default 90d)')
    .option('--strict', 'warnings fail the build')
    .option('--allow-unset-env', 'has no effect: build refuses unset env("NAME") values always (use it with `fmsc check`)')
    .option('--registry <dir>', 'registry folder for imports (default: $FMS_REGISTRY or .fms/registry next to the file)')
    .addOption(lockedOption())
    .addOption(noLockedOption())
    .addOption(formatOption())
    .action(async (file: string, o: BuildOpts) => {
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
      let signer: Signer;
      let notice: string | undefined;
      try {
        if (o.key) signer = localEd25519Signer(o.key);
        else {
          const dev = devKeySigner();
          signer = dev;
          notice = dev.notice;
        }
      } catch (e) {
        throw new CliError(`cannot use the signing key: ${(e as Error).message}`, EXIT.usage);
      }
      const pack = await createSignedPack({
        body,
        name,
        serial,
        createdAt,
        expiresAt,
        sourceSha256: createHash('sha256').update(text).digest('hex'),
        signer,
        imports: ir.imports.flatMap((i) => (i.sha256 ? [{ ref: i.ref, sha256: i.sha256 }] : [])),
      });
      const out = o.output ?? (file.endsWith('.fms') ? file.slice(0, -4) : file) + '.fmspack';
      try {
        writeFileAtomic(out, pack);
      } catch (e) {
        throw new CliError(ioErrorMessage('write', out, e), EXIT.usage);
      }
      const rules = ir.agents.reduce((n, a) => n + a.rules.length, 0);
      const digest = createHash('sha256').update(body).digest('hex');
      if (notice) process.stderr.write(`fmsc: ${notice}\n`);
      process.stderr.write(
        `fmsc: wrote ${out}: pack \`${name}\` serial ${serial}, ${ir.agents.length} agent${ir.agents.length === 1 ? '' : 's'}, ${rules} rule${rules === 1 ? '' : 's'}, ${pack.length} bytes, body sha256 ${digest.slice(0, 16)}…, signed by ${signer.keyId.slice(0, 23)}…\n`,
      );
      if (o.format === 'json') {
        process.stdout.write(
          JSON.stringify({ version: JSON_VERSION, tool: 'fmsc', ok: true, pack: out, name, serial, agents: ir.agents.length, rules, bytes: pack.length, body_sha256: digest, key_id: signer.keyId, expires_at: expiresAt.toISOString() }) + '\n',
        );
      }
    });
}
