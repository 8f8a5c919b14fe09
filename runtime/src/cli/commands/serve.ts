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
import { DecisionServer, DaemonError, TENANT_NAME_RE, type ServedPack, type TenantOptions } from '../../daemon/server';
import { DecisionLog, DecisionLogError, type FsyncPolicy } from '../../daemon/decision-log';
import { openSigner, SignerError, type Signer } from '../../daemon/signer';

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
  /** `NAME=PACK`, repeated: one pack per tenant (bound to the trust file's deployment NAME). */
  tenant?: string[];
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
export async function startDaemon(packPath: string | undefined, o: ServeOpts, report: (line: string) => void): Promise<DecisionServer> {
  const stateDir = o.state === false ? false : (o.stateDir ?? defaultStateDir());
  const tenants = new Map<string, string>();
  for (const spec of o.tenant ?? []) {
    const eq = spec.indexOf('=');
    const name = eq > 0 ? spec.slice(0, eq) : '';
    if (!TENANT_NAME_RE.test(name) || eq === spec.length - 1) throw new CliError(`--tenant \`${spec.slice(0, 80)}\`: expected NAME=PACK (NAME: letters, digits, \`.\`, \`_\`, \`-\`)`, EXIT.usage);
    if (tenants.has(name)) throw new CliError(`--tenant \`${name}\` is given twice`, EXIT.usage);
    tenants.set(name, spec.slice(eq + 1));
  }
  if (tenants.size > 0 && packPath !== undefined) throw new CliError('give either PACK or --tenant NAME=PACK, not both', EXIT.usage);
  if (tenants.size === 0 && packPath === undefined) throw new CliError('no pack: give PACK or --tenant NAME=PACK', EXIT.usage);
  if (tenants.size > 0 && (o.name !== undefined || o.deployment !== undefined)) throw new CliError('with --tenant, each tenant is bound by the trust file\'s deployment of its name: --name and --deployment do not apply', EXIT.usage);
  /** A loader with its own decision state; `deployment` binds a tenant to the trust file's deployment of its name. */
  const loaderFor = (path: string, deployment?: string): (() => ServedPack) => {
    const state = new MemoryState();
    return () => {
      try {
        const v = verifyPackFile(path, { ...(o.trust ? { trust: o.trust } : {}), ...(deployment !== undefined ? { deployment } : nameOptions(o)), stateDir });
        const pack = loadPackBody(v.body, { state });
        return { pack, digest: v.digest, name: v.manifest.name, serial: v.manifest.serial };
      } catch (e) {
        if (e instanceof PackRefusal) throw new Error(`refused \`${path}\`: ${e.message} [${e.code}]`);
        if (e instanceof PackError) throw new Error(`refused \`${path}\`: ${e.message}`);
        throw e;
      }
    };
  };
  let signer: Signer | undefined;
  const logs: DecisionLog[] = [];
  const openLog = (path: string): DecisionLog => {
    const every = intOpt('--checkpoint-every', o.checkpointEvery, 1);
    const secs = intOpt('--checkpoint-seconds', o.checkpointSeconds, 0);
    const max = intOpt('--log-max-bytes', o.logMaxBytes, 4096);
    const log = DecisionLog.open({
      path,
      ...(signer ? { signer } : {}),
      ...(every !== undefined ? { checkpointEvery: every } : {}),
      ...(secs !== undefined ? { checkpointSeconds: secs } : {}),
      ...(max !== undefined ? { maxBytes: max } : {}),
      fsync: (o.logFsync ?? 'checkpoint') as FsyncPolicy,
      onError: report,
    });
    logs.push(log);
    return log;
  };
  const ttl = intOpt('--approval-ttl', o.approvalTtl, 1);
  const maxLine = intOpt('--max-line-bytes', o.maxLineBytes, 1024);
  const units: { loader?: () => ServedPack; log?: DecisionLog; tenants?: Map<string, TenantOptions> } = {};
  try {
    if (o.logKey !== undefined) {
      if (o.log === undefined) throw new CliError('--log-key needs --log FILE', EXIT.usage);
      signer = await openSigner(o.logKey);
    }
    if (tenants.size === 0) {
      units.loader = loaderFor(packPath!);
      if (o.log !== undefined) units.log = openLog(o.log);
    } else {
      // One log per tenant: FILE.<tenant> (its rotated files: FILE.<tenant>.<first>-<last>).
      units.tenants = new Map([...tenants].map(([name, path]) => [name, { loader: loaderFor(path, name), ...(o.log !== undefined ? { log: openLog(`${o.log}.${name}`) } : {}) }]));
    }
    if (o.log !== undefined && !signer) report('warning: the decision log has no --log-key: it is hash-chained but carries no signed checkpoints');
  } catch (e) {
    for (const l of logs) await l.close();
    await signer?.close?.();
    if (e instanceof SignerError || e instanceof DecisionLogError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
  const server = new DecisionServer({
    socketPath: o.socket,
    ...(o.socketGroup !== undefined ? { socketGroup: groupId(o.socketGroup) } : {}),
    adminSocketPath: o.adminSocket ?? `${o.socket}.admin`,
    ...units,
    ...(ttl !== undefined ? { approvalTtlMs: ttl * 1000 } : {}),
    ...(maxLine !== undefined ? { maxLineBytes: maxLine } : {}),
    report,
  });
  if (signer?.close) {
    // The key store session (PKCS#11, an SDK client) outlives the logs: released after their final checkpoint.
    const closeServer = server.close.bind(server);
    const s = signer;
    server.close = async (graceMs?: number): Promise<void> => {
      try {
        await closeServer(graceMs);
      } finally {
        await s.close?.();
      }
    };
  }
  try {
    await server.listen();
  } catch (e) {
    for (const l of logs) await l.close();
    await signer?.close?.();
    if (e instanceof DaemonError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
  for (const [tenant, first] of await server.reloadAll()) {
    if (first.ok) continue;
    await server.close(0);
    // A verification refusal exits 3; a missing flag or unreadable file is a usage error (2).
    const reason = tenant === '' ? first.reason : `tenant \`${tenant}\`: ${first.reason}`;
    throw new CliError(reason, first.reason.startsWith('refused ') ? EXIT.refused : EXIT.usage);
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
    .option('--log-key <uri>', 'key that signs log checkpoints: file:PATH (an Ed25519 key from `fmsc keygen`; an encrypted one reads FMS_KEY_PASSWORD), pkcs11:…, awskms://…, gcpkms://…, azurekms://…, hashivault://… (key stores need the package @fms/signers)')
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
      .argument('[pack]', 'signed pack (.fmspack), re-read on every reload (or --tenant)')
      .description('answer JSON-lines decisions on a Unix socket (reload: SIGHUP or `fms-run reload`)')
      .requiredOption('--socket <path>', 'the decision socket (mode 0600)')
      .option('--tenant <name=pack>', "host several packs: one per tenant, bound to the trust file's deployment NAME (its expected pack name), with its own state, approvals and log FILE.NAME (repeat)", (v: string, prev: string[] = []) => [...prev, v]),
  ).action(async (packPath: string | undefined, o: ServeOpts) => {
    const report = (line: string): void => void process.stderr.write(`fms-run: ${line}\n`);
    let server: DecisionServer;
    try {
      server = await startDaemon(packPath, o, report);
    } catch (e) {
      if (e instanceof TrustUsageError) throw new CliError(e.message, EXIT.usage);
      throw e;
    }
    report(`listening on ${o.socket} (admin ${o.adminSocket ?? `${o.socket}.admin`})`);
    const onHup = (): void => void server.reloadAll();
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
