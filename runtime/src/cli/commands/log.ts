import type { Command } from 'commander';
import { CliError, EXIT, formatOption } from '../common';
import { verifyLog } from '../../daemon/log-verify';
import { loadTrustRoots } from '../../trust/trust-roots';
import { resolveTrustPath } from '../../trust/load-pack-file';
import { PackRefusal } from '../../trust/refusal';

interface LogVerifyOpts {
  trust?: string;
  partial?: boolean;
  requireSigned?: boolean;
  format: string;
}

/**
 * Registers `fms-run log verify FILE… --trust FILE`: walks the hash chain
 * across the files (rotated files and the current one, in any order), checks
 * every checkpoint against the trust file's pinned, non-revoked keys, names
 * the first broken record and reports the unsigned tail. Exit 3 when broken
 * (or, with `--require-signed`, when records are not covered by a checkpoint).
 */
export function register(program: Command): void {
  const log = program.command('log').description('decision logs of `fms-run serve`');
  log
    .command('verify')
    .argument('<files...>', 'log files (rotated FILE.<first>-<last> and FILE)')
    .description('verify a decision log: hash chain, signed checkpoints (pinned keys), the unsigned tail')
    .option('--trust <file>', 'trust roots whose keys may sign checkpoints (default $FMS_TRUST)')
    .option('--partial', 'the files are a suffix of the log (the chain need not start at seq 1)')
    .option('--require-signed', 'fail when records after the last valid checkpoint exist')
    .addOption(formatOption())
    .action((files: string[], o: LogVerifyOpts) => {
      let trust;
      try {
        trust = loadTrustRoots(resolveTrustPath(o.trust));
      } catch (e) {
        throw new CliError((e as Error).message, e instanceof PackRefusal ? EXIT.refused : EXIT.usage);
      }
      let r;
      try {
        r = verifyLog(files, trust, { allowPartial: o.partial === true });
      } catch (e) {
        throw new CliError(`cannot read the log: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.usage);
      }
      const tail = r.unsignedTail ? `${r.unsignedTail[1] - r.unsignedTail[0] + 1} unsigned record(s) at the end (seq ${r.unsignedTail[0]}..${r.unsignedTail[1]})` : 'no unsigned records';
      if (o.format === 'json') process.stdout.write(JSON.stringify(r) + '\n');
      if (!r.ok) {
        const b = r.broken!;
        throw new CliError(`broken: ${b.file}:${b.line}${b.seq !== null ? ` (seq ${b.seq})` : ''}: ${b.reason}; verified prefix: ${r.records} record(s), signed through seq ${r.signedThrough}`, EXIT.refused);
      }
      if (o.format !== 'json')
        process.stdout.write(
          `ok: ${r.records} record(s) (seq ${r.firstSeq ?? '-'}..${r.lastSeq ?? '-'}) chain intact; ${r.checkpoints} checkpoint(s), signed through seq ${r.signedThrough}${r.signers.length ? ` by ${r.signers.join(', ')}` : ''}; ${tail}\n`,
        );
      if (o.requireSigned && r.unsignedTail) throw new CliError(`--require-signed: ${tail}`, EXIT.refused);
    });
}
