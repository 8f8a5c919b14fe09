import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError, EXIT, formatOption, JSON_VERSION, nameFlags, nameOptions, refusalMessage, scopeFor, TrustUsageError, verifyPackFile, verifyReportFields } from '@fms/runtime/cli-kit';
import { PackRefusal, type PackManifest, type TrustRoots } from '@fms/runtime';
import { manifestFields } from '@fms/runtime/format';
import { readPackUnverified } from '../../sign/create-pack';

/** How one signature of a verified pack counted (DESIGN §5). */
export type SignatureStatus = 'verified' | 'revoked' | 'other-scope' | 'unpinned' | 'repeated' | 'not-checked';

/** One signature of a pack as `fmsc verify` reports it. */
export interface SignatureReport {
  key_id: string;
  /** From the trust file (the verifier never takes it from the pack); null for a key the trust file does not pin. */
  algorithm: string | null;
  status: SignatureStatus;
  /** The pinned key's comment, when it has one. */
  comment?: string;
}

const STATUS_TEXT: Record<SignatureStatus, string> = {
  verified: 'verified, counts toward the threshold',
  revoked: 'revoked in the trust file: ignored',
  'other-scope': 'pinned only for other scopes: ignored',
  unpinned: 'not pinned by the trust file: ignored',
  repeated: 'same key again: counted once',
  'not-checked': 'not part of the verified pack (it changed while it was read)',
};

/**
 * Classifies each signature of a pack that verified: `verified` only for the
 * key ids `verifyPack` accepted; the rest says why it did not count.
 */
export function signatureReports(sigKeyIds: readonly string[], trust: TrustRoots, scopeKeys: readonly string[], verified: readonly string[]): SignatureReport[] {
  const seen = new Set<string>();
  return sigKeyIds.map((id) => {
    const key = trust.keys.get(id);
    let status: SignatureStatus;
    if (seen.has(id)) status = 'repeated';
    else if (!scopeKeys.includes(id)) status = key ? 'other-scope' : 'unpinned';
    else if (trust.revoked.has(id)) status = 'revoked';
    else status = verified.includes(id) ? 'verified' : 'not-checked';
    seen.add(id);
    return { key_id: id, algorithm: key?.algorithm ?? null, status, ...(key?.comment !== undefined ? { comment: key.comment } : {}) };
  });
}

/** The manifest fields a release engineer checks (name, serial, dates, digests, compiler, imports). */
export function manifestJson(m: PackManifest): Record<string, unknown> {
  const f = manifestFields(m);
  return { ...f, imports: f.imports ?? [] };
}

interface VerifyOpts {
  trust?: string;
  name?: string;
  deployment?: string;
  stateDir?: string;
  format: string;
}

/**
 * Registers `fmsc verify PACK --trust FILE`: the same checks as
 * `fms-run verify` (rollback state only when `--state-dir` is given), then a
 * provenance report: the manifest, the governing scope and, for each
 * signature, its key id, the pinned algorithm and whether it counted.
 */
export function register(program: Command): void {
  nameFlags(program.command('verify'))
    .description('verify a signed pack against pinned trust roots and show its provenance (exit 3 when refused)')
    .argument('<pack>', 'the .fmspack file')
    .option('--trust <file>', 'trust roots JSON (default: $FMS_TRUST)')
    .option('--state-dir <dir>', 'also check and update the rollback high-water mark in this directory')
    .addOption(formatOption())
    .action((pack: string, o: VerifyOpts) => {
      const stateDir = o.stateDir ?? false;
      let v;
      try {
        v = verifyPackFile(pack, { ...(o.trust ? { trust: o.trust } : {}), ...nameOptions(o), stateDir });
      } catch (e) {
        if (e instanceof PackRefusal) throw new CliError(refusalMessage(pack, e, stateDir), EXIT.refused);
        if (e instanceof TrustUsageError) throw new CliError(e.message, EXIT.usage);
        throw e;
      }
      // The signatures as stored, read again: reported only when they belong to the manifest that verified.
      let sigIds: string[] = [];
      try {
        const again = readPackUnverified(readFileSync(pack));
        if (again.manifestDigest === v.manifestDigest) sigIds = again.keyIds;
      } catch {
        // replaced by something unreadable since it verified: report the verified signers only
      }
      if (sigIds.length === 0) sigIds = v.signers;
      // INVARIANT: verifyPack found a scope for this name, or it would have refused.
      const scope = scopeFor(v.trust, v.manifest.name)!;
      const signatures = signatureReports(sigIds, v.trust, scope.keys, v.signers);
      const m = v.manifest;
      if (o.format === 'json') {
        process.stdout.write(
          JSON.stringify({
            version: JSON_VERSION,
            tool: 'fmsc',
            ok: true,
            ...verifyReportFields(v, stateDir),
            manifest: manifestJson(m),
            scope: { prefix: scope.prefix, threshold: scope.threshold, keys: scope.keys.length, min_serial: scope.minSerial },
            signatures,
          }) + '\n',
        );
        return;
      }
      const lines = [
        `ok: pack \`${m.name}\` serial ${m.serial} body sha256:${v.digest} signed by ${v.signers.length} pinned key(s): ${v.signers.join(', ')}; expires ${m.expires_at}`,
        `  manifest sha256:${v.manifestDigest}: created ${m.created_at}, valid ${m.not_before} .. ${m.expires_at}, ${m.body.size} body bytes, source sha256:${m.source_sha256}, compiler ${m.compiler.name} ${m.compiler.version}, ${(m.imports ?? []).length} import(s)`,
        `  trust ${v.trustPath}: scope \`${scope.prefix}\` requires ${scope.threshold} of ${scope.keys.length} key(s), min_serial ${scope.minSerial}`,
        ...signatures.map((s) => `  signature ${s.key_id} ${s.algorithm ?? '(algorithm unknown)'}: ${STATUS_TEXT[s.status]}${s.comment ? ` (${s.comment})` : ''}`),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
