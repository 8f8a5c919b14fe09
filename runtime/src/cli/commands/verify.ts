import type { Command } from 'commander';
import { CliError, EXIT, formatOption, JSON_VERSION } from '../common';
import { PackRefusal } from '../../trust/refusal';
import { TrustUsageError, verifyPackFile } from '../../trust/load-pack-file';
import { defaultStateDir, rollbackMarkFile } from '../../trust/rollback-store';

interface VerifyOpts {
  trust?: string;
  name?: string;
  deployment?: string;
  stateDir?: string;
  state: boolean;
  format: string;
}

/**
 * The fields of `fms-run verify --format json` after `version` and `ok` (what
 * was verified, against which trust file and rollback state); `fmsc verify`
 * prints the same fields and adds its provenance.
 */
export function verifyReportFields(v: ReturnType<typeof verifyPackFile>, stateDir: string | false | undefined): Record<string, unknown> {
  const m = v.manifest;
  return {
    name: m.name,
    serial: m.serial,
    digest: `sha256:${v.digest}`,
    manifest_digest: `sha256:${v.manifestDigest}`,
    signers: v.signers,
    not_before: m.not_before,
    expires_at: m.expires_at,
    compiler: m.compiler,
    source_sha256: m.source_sha256,
    imports: m.imports ?? [],
    trust: v.trustPath,
    rollback_state: stateDir || null,
  };
}

/** `--name` / `--deployment` as `verifyPackFile` options (the environment fills in what is not given). */
export function nameOptions(o: { name?: string; deployment?: string }): { name?: string; deployment?: string } {
  return { ...(o.name !== undefined ? { name: o.name } : {}), ...(o.deployment !== undefined ? { deployment: o.deployment } : {}) };
}

/** Adds `--name` and `--deployment` (pack-name binding, DESIGN §7) to a command. */
export function nameFlags(c: Command): Command {
  return c
    .option('--name <name>', 'the pack name this host expects; another name is refused (default: $FMS_PACK_NAME)')
    .option('--deployment <id>', "a deployment of the trust file's `deployments` map whose expected_name must match (default: $FMS_DEPLOYMENT)");
}

/**
 * The one-line refusal of a pack at the CLI. A rollback refusal says how to
 * reset the mark (the file to delete, or `--no-state` / another `--state-dir`).
 */
export function refusalMessage(packPath: string, e: PackRefusal, stateDir: string | false): string {
  let hint = '';
  if ((e.code === 'rollback' || e.code === 'serial-reuse') && stateDir !== false) {
    const name = /^pack `([^`]+)`/.exec(e.message)?.[1];
    const where = name !== undefined ? `delete \`${rollbackMarkFile(stateDir, name)}\`` : `delete its mark in \`${stateDir}/rollback/\``;
    hint = `; to accept it anyway (e.g. after a test build with a higher serial) reset the mark: ${where}, or pass --no-state or another --state-dir`;
  }
  return `refused \`${packPath}\`: ${e.message} [${e.code}]${hint}`;
}

/**
 * Runs the shared verify command for `fms-run verify` and `fmsc verify`:
 * prints a summary (or JSON with `--format json`) or throws a CliError with
 * exit 3 and a one-line reason.
 */
export function runVerify(packPath: string, o: VerifyOpts, useStateByDefault: boolean): void {
  const stateDir = !o.state ? false : (o.stateDir ?? (useStateByDefault ? defaultStateDir() : false));
  let v;
  try {
    v = verifyPackFile(packPath, { ...(o.trust ? { trust: o.trust } : {}), ...nameOptions(o), stateDir });
  } catch (e) {
    if (e instanceof PackRefusal) throw new CliError(refusalMessage(packPath, e, stateDir), EXIT.refused);
    if (e instanceof TrustUsageError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
  const m = v.manifest;
  if (o.format === 'json') {
    process.stdout.write(
      JSON.stringify({ version: JSON_VERSION, ok: true, ...verifyReportFields(v, stateDir) }) + '\n',
    );
    return;
  }
  process.stdout.write(
    `ok: pack \`${m.name}\` serial ${m.serial} body sha256:${v.digest} signed by ${v.signers.length} pinned key(s): ${v.signers.join(', ')}; expires ${m.expires_at}\n`,
  );
}

/** Registers `fms-run verify PACK --trust FILE` (rollback state on by default). */
export function register(program: Command): void {
  nameFlags(program.command('verify'))
    .description('verify a signed pack against pinned trust roots (exit 3 when refused)')
    .argument('<pack>', 'the .fmspack file')
    .option('--trust <file>', 'trust roots JSON (default: $FMS_TRUST)')
    .option('--state-dir <dir>', 'rollback state directory (default: $FMS_STATE_DIR or ~/.local/state/fms)')
    .option('--no-state', 'do not read or update the rollback high-water mark')
    .addOption(formatOption())
    .action((pack: string, o: VerifyOpts) => runVerify(pack, o, true));
}
