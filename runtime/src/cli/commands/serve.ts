import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { CliError, EXIT } from '../common';
import { nameFlags, nameOptions } from './verify';
import { PackRefusal } from '../../trust/refusal';
import { PackError } from '../../pack/format';
import { TrustUsageError, verifyPackFile } from '../../trust/load-pack-file';
import { defaultStateDir } from '../../trust/rollback-store';
import { loadPackBody } from '../../vm/loaded-pack';
import { MemoryState } from '../../state/store';
import { DecisionServer, DaemonError, type ServedPack } from '../../daemon/server';
import { DecisionLog, DecisionLogError, type FsyncPolicy } from '../../daemon/decision-log';
import { signerFromUri, SignerError, type Signer } from '../../daemon/signer';

/** Options of `fms-run serve` (also what `fms-run exec` passes to {@link startDaemon}). */
export interface ServeOpts {
  socket: string;
  trust?: string;
  name?: string;
  deployment?: string;
  stateDir?: string;
  state?: boolean;
  socketGroup?: string;
  adminSocket?: string;
  log?: string;
  logKey?: string;
  checkpointEvery?: string;
  checkpointSeconds?: string;
  logMaxBytes?: string;
  logFsync?: string;
  approvalTtl?: string;
  maxLineBytes?: string;
}

function intOpt(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) throw new CliError(`${flag} must be an integer ≥ ${min}`, EXIT.usage);
  return Number(v);
}

/** A group name (from /etc/group) or a numeric gid. */
function groupId(g: string): number {
  if (/^\d+$/.test(g)) return Number(g);
  let text = '';
  try {
    text = readFileSync('/etc/group', 'utf8');
  } catch {
    /* no group database */
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === g && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new CliError(`--socket-group: no group \`${g.slice(0, 64)}\``, EXIT.usage);
}

/**
 * Starts the decision daemon for `serve` and `exec`: listens on the sockets,
 * then verifies and loads the pack (requests before that are answered
 * `DAEMON_NOT_READY`). A refused first pack closes the server and throws
 * (exit 3). The decision state (rate limits, budgets, sessions) survives reloads.
 */
export async function startDaemon(packPath: string, o: ServeOpts, report: (line: string) => void): Promise<DecisionServer> {
  const stateDir = o.state === false ? false : (o.stateDir ?? defaultStateDir());
  const state = new MemoryState();
  const loader = (): ServedPack => {
    try {
      const v = verifyPackFile(packPath, { ...(o.trust ? { trust: o.trust } : {}), ...nameOptions(o), stateDir });
      const pack = loadPackBody(v.body, { state });
      return { pack, digest: v.digest, name: v.manifest.name, serial: v.manifest.serial };
    } catch (e) {
      if (e instanceof PackRefusal) throw new Error(`refused \`${packPath}\`: ${e.message} [${e.code}]`);
      if (e instanceof PackError) throw new Error(`refused \`${packPath}\`: ${e.message}`);
      throw e;
    }
  };
  let signer: Signer | undefined;
  let log: DecisionLog | undefined;
  try {
    if (o.logKey !== undefined) {
      if (o.log === undefined) throw new CliError('--log-key needs --log FILE', EXIT.usage);
      signer = signerFromUri(o.logKey);
    }
    if (o.log !== undefined) {
      const every = intOpt('--checkpoint-every', o.checkpointEvery, 1);
      const secs = intOpt('--checkpoint-seconds', o.checkpointSeconds, 0);
      const max = intOpt('--log-max-bytes', o.logMaxBytes, 4096);
      log = DecisionLog.open({
        path: o.log,
        ...(signer ? { signer } : {}),
        ...(every !== undefined ? { checkpointEvery: every } : {}),
        ...(secs !== undefined ? { checkpointSeconds: secs } : {}),
        ...(max !== undefined ? { maxBytes: max } : {}),
        fsync: (o.logFsync ?? 'checkpoint') as FsyncPolicy,
        onError: report,
      });
      if (!signer) report('warning: the decision log has no --log-key: it is hash-chained but carries no signed checkpoints');
    }
  } catch (e) {
    if (e instanceof SignerError || e instanceof DecisionLogError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
  const ttl = intOpt('--approval-ttl', o.approvalTtl, 1);
  const maxLine = intOpt('--max-line-bytes', o.maxLineBytes, 1024);
  const server = new DecisionServer({
    socketPath: o.socket,
    ...(o.socketGroup !== undefined ? { socketGroup: groupId(o.socketGroup) } : {}),
    adminSocketPath: o.adminSocket ?? `${o.socket}.admin`,
    loader,
    ...(log ? { log } : {}),
    ...(ttl !== undefined ? { approvalTtlMs: ttl * 1000 } : {}),
    ...(maxLine !== undefined ? { maxLineBytes: maxLine } : {}),
    report,
  });
  try {
    await server.listen();
  } catch (e) {
    await log?.close();
    if (e instanceof DaemonError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
  const first = await server.reload();
  if (!first.ok) {
    await server.close(0);
    // A verification refusal exits 3; a missing flag or unreadable file is a usage error (2).
    throw new CliError(first.reason, first.reason.startsWith('refused ') ? EXIT.refused : EXIT.usage);
  }
  return server;
}

/** Adds the daemon options shared by `serve` and `exec --serve`. */
export function daemonOptions(c: Command): Command {
  return nameFlags(c)
    .option('--trust <file>', 'trust roots (default $FMS_TRUST)')
    .option('--state-dir <dir>', 'rollback state directory (default: $FMS_STATE_DIR or ~/.local/state/fms)')
    .option('--no-state', 'do not read or update the rollback high-water mark')
    .option('--socket-group <group>', 'a group (name or gid) that may also connect to the decision socket (mode 0660)')
    .option('--admin-socket <path>', 'admin socket for approvals and reload, always mode 0600 (default: SOCKET.admin)')
    .option('--log <file>', 'hash-chained decision log (JSON lines; redacted arguments)')
    .option('--log-key <uri>', 'key that signs log checkpoints: file:PATH (an Ed25519 key from `fmsc keygen`); pkcs11: and cloud KMS keys are not available in fms-run yet')
    .option('--checkpoint-every <n>', 'a signed checkpoint every N records (default 1000)')
    .option('--checkpoint-seconds <t>', 'a signed checkpoint every T seconds with new records (default 60; 0 = off)')
    .option('--log-max-bytes <n>', 'rotate the log at this size, keeping the chain (default 67108864)')
    .addOption(new Option('--log-fsync <policy>', 'fdatasync after every batch (always), at checkpoints, rotation and shutdown (checkpoint), or never').choices(['always', 'checkpoint', 'never']).default('checkpoint'))
    .option('--approval-ttl <seconds>', 'how long an approval stays usable (default 900)')
    .option('--max-line-bytes <n>', 'longest request line (default 1048576)');
}

/**
 * Registers `fms-run serve PACK --socket PATH`: the decision daemon
 * (README "The decision daemon"). SIGHUP reloads the pack; SIGTERM/SIGINT
 * drain the connections, write a final checkpoint and exit 0.
 */
export function register(program: Command): void {
  daemonOptions(
    program
      .command('serve')
      .argument('<pack>', 'signed pack (.fmspack), re-read on every reload')
      .description('answer JSON-lines decisions on a Unix socket (reload: SIGHUP or `fms-run reload`)')
      .requiredOption('--socket <path>', 'the decision socket (mode 0600)'),
  ).action(async (packPath: string, o: ServeOpts) => {
    const report = (line: string): void => void process.stderr.write(`fms-run: ${line}\n`);
    let server: DecisionServer;
    try {
      server = await startDaemon(packPath, o, report);
    } catch (e) {
      if (e instanceof TrustUsageError) throw new CliError(e.message, EXIT.usage);
      throw e;
    }
    report(`listening on ${o.socket} (admin ${o.adminSocket ?? `${o.socket}.admin`})`);
    const onHup = (): void => void server.reload();
    process.on('SIGHUP', onHup);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        process.off('SIGHUP', onHup);
        report('draining and closing');
        void server.close().then(resolve, (e) => {
          report(`shutdown: ${(e as Error).message}`);
          resolve();
        });
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
  });
}
