/**
 * The decision daemon behind `fms-run serve` and `fms-run exec` (DESIGN §7):
 * JSON-lines decisions on a Unix socket (`protocol.ts`), an admin socket for
 * approvals and reloads, atomic reloads of verified packs, and the decision
 * log (`decision-log.ts`).
 */
import { chmodSync, chownSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { decisionToJson } from '../decide';
import { evalError } from '../vm/payloads';
import type { LoadedPack } from '../vm/loaded-pack';
import type { Call, Decision } from '../vm/types';
import { ApprovalTable, DEFAULT_APPROVAL_TTL_MS } from './approvals';
import type { DecisionLog } from './decision-log';
import {
  DEFAULT_MAX_LINE_BYTES,
  DEFAULT_MAX_PENDING_BYTES,
  NOT_READY_RETRY_MS,
  decisionLine,
  errorLine,
  isRequestError,
  parseRequest,
  type DecisionRequest,
  type RequestId,
} from './protocol';

/** A verified, loaded pack as the server serves it. */
export interface ServedPack {
  pack: LoadedPack;
  /** SHA-256 (hex) of the pack body. */
  digest: string;
  name: string;
  serial: number;
}

/**
 * Verifies and loads the pack to serve (initially and on every reload).
 * Throws with a one-line message when the pack is refused.
 */
export type PackLoader = () => ServedPack | Promise<ServedPack>;

/** One tenant of a server: its own pack (loader: expected name, trust scope), decision state, approvals and log. */
export interface TenantOptions {
  loader: PackLoader;
  log?: DecisionLog;
}

/** Tenant names: what a request's `tenant` field may say. */
export const TENANT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Options of {@link DecisionServer}. */
export interface DecisionServerOptions {
  /** The decision socket (created mode 0600, or 0660 with `socketGroup`). */
  socketPath: string;
  /** A group id that may also connect to the decision socket. */
  socketGroup?: number;
  /** The admin socket (approvals, reload, status), always mode 0600. */
  adminSocketPath?: string;
  /** The pack of a server without tenants. */
  loader?: PackLoader;
  log?: DecisionLog;
  /**
   * Several packs at once, one per tenant (instead of `loader`/`log`): a
   * request names its tenant (`tenant`); one tenant's reload or refusal never
   * touches another's.
   */
  tenants?: Map<string, TenantOptions>;
  /** Longest request line (bytes; default 1 MiB). */
  maxLineBytes?: number;
  /** Unread answer bytes after which a connection's requests are no longer read until its client reads (default 1 MiB). */
  maxPendingBytes?: number;
  /** How long an approval stays usable (ms; default 15 minutes). */
  approvalTtlMs?: number;
  now?: () => number;
  /** One-line reports for the operator (stderr). */
  report?: (line: string) => void;
}

/** What a reload did. */
export type ReloadResult = { ok: true; name: string; serial: number; digest: string } | { ok: false; reason: string };

/** The state of one tenant (the server without tenants has one, named ``). */
interface Unit {
  name: string;
  loader: PackLoader;
  log: DecisionLog | undefined;
  current: ServedPack | null;
  approvals: ApprovalTable;
  reloading: Promise<ReloadResult>;
}

/** A socket that cannot be created (a one-line reason). */
export class DaemonError extends Error {}

const NEWLINE = 10;
/** In a batch: the line before it is not a decision. */
const NOT_DECIDED = Symbol('not decided');

/** True when something accepts connections on the Unix socket at `path`. */
function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** Removes a stale socket at `path` (refuses a live one or a non-socket), then listens with `mode`. */
async function bindUnix(server: Server, path: string, mode: number, gid?: number): Promise<void> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    st = null;
  }
  if (st) {
    if (!st.isSocket()) throw new DaemonError(`\`${path}\` exists and is not a socket: refusing to replace it`);
    if (await isLive(path)) throw new DaemonError(`another server is listening on \`${path}\``);
    unlinkSync(path);
  }
  const old = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    throw new DaemonError(`cannot listen on \`${path}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    process.umask(old);
  }
  if (gid !== undefined) {
    try {
      chownSync(path, process.getuid?.() ?? -1, gid);
    } catch (e) {
      server.close();
      throw new DaemonError(`cannot give \`${path}\` to group ${gid}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  chmodSync(path, mode);
}

/** A JSON-lines decision server (see the module comment). */
export class DecisionServer {
  private readonly units = new Map<string, Unit>();
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private admin: Server | null = null;
  private draining = false;
  private readonly maxLine: number;
  private readonly maxPending: number;
  private readonly now: () => number;
  private readonly report: (line: string) => void;
  /** The unit of a server without tenants (null with tenants). */
  private readonly single: Unit | null;
  /** The decision logs of all units (empty: no log). */
  private readonly logs: DecisionLog[];
  /** The answers of the chunk being answered, line then request id or NOT_DECIDED (with a log only; reused). */
  private readonly batch: Array<string | RequestId | typeof NOT_DECIDED> = [];

  constructor(private readonly opts: DecisionServerOptions) {
    this.maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.maxPending = opts.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.now = opts.now ?? Date.now;
    this.report = opts.report ?? (() => {});
    const unit = (name: string, loader: PackLoader, log: DecisionLog | undefined): Unit => ({
      name,
      loader,
      log,
      current: null,
      approvals: new ApprovalTable(opts.approvalTtlMs ?? DEFAULT_APPROVAL_TTL_MS, this.now),
      reloading: Promise.resolve({ ok: false, reason: 'not loaded' }),
    });
    if (opts.tenants && opts.tenants.size > 0) {
      if (opts.loader) throw new DaemonError('a server has either one pack or tenants, not both');
      for (const [name, t] of opts.tenants) {
        if (!TENANT_NAME_RE.test(name)) throw new DaemonError(`invalid tenant name \`${name.slice(0, 80)}\`: letters, digits, \`.\`, \`_\`, \`-\`, at most 64`);
        this.units.set(name, unit(name, t.loader, t.log));
      }
    } else {
      if (!opts.loader) throw new DaemonError('no pack to serve: give a loader or tenants');
      this.units.set('', unit('', opts.loader, opts.log));
    }
    this.single = this.units.get('') ?? null;
    this.logs = [...this.units.values()].flatMap((u) => (u.log ? [u.log] : []));
  }

  /** Does this server host tenants? */
  get hasTenants(): boolean {
    return !this.units.has('');
  }

  /** The pack being served (of `tenant`; null before its first successful load). */
  served(tenant = ''): ServedPack | null {
    return this.units.get(tenant)?.current ?? null;
  }

  /** Creates the sockets; requests are answered `DAEMON_NOT_READY` until {@link reload} succeeds. */
  async listen(): Promise<void> {
    const server = createServer({ allowHalfOpen: true }, (s) => this.onConnection(s));
    server.maxConnections = 4096;
    await bindUnix(server, this.opts.socketPath, this.opts.socketGroup !== undefined ? 0o660 : 0o600, this.opts.socketGroup);
    this.server = server;
    if (this.opts.adminSocketPath !== undefined) {
      const admin = createServer({ allowHalfOpen: true }, (s) => this.onAdmin(s));
      try {
        await bindUnix(admin, this.opts.adminSocketPath, 0o600);
      } catch (e) {
        await new Promise<void>((r) => server.close(() => r()));
        throw e;
      }
      this.admin = admin;
    }
  }

  /**
   * Verifies and loads the pack again (the loader checks signature, trust,
   * expected name and rollback). On success the new pack replaces the old
   * one at once (decisions are synchronous: each request is decided wholly
   * on one pack); on refusal the old pack keeps serving and the reason goes
   * to the report and the log. Reloads run one at a time.
   */
  reload(tenant = ''): Promise<ReloadResult> {
    const u = this.units.get(tenant);
    if (!u) return Promise.resolve({ ok: false, reason: `no tenant \`${tenant.slice(0, 80)}\`` });
    u.reloading = u.reloading.then(() => this.doReload(u));
    return u.reloading;
  }

  /** Reloads every tenant (each on its own; a refusal of one leaves the others as they are). */
  async reloadAll(): Promise<Map<string, ReloadResult>> {
    const out = new Map<string, ReloadResult>();
    await Promise.all([...this.units.keys()].map(async (t) => out.set(t, await this.reload(t))));
    return out;
  }

  private async doReload(u: Unit): Promise<ReloadResult> {
    const who = u.name === '' ? '' : `tenant \`${u.name}\`: `;
    let next: ServedPack;
    try {
      next = await u.loader();
    } catch (e) {
      const reason = oneLine(e);
      const serving = u.current ? `; still serving \`${u.current.name}\` serial ${u.current.serial}` : '';
      this.report(`${who}pack refused: ${reason}${serving}`);
      this.logRecord(u, { type: 'pack-refused', reason, serving: u.current ? 'sha256:' + u.current.digest : null });
      return { ok: false, reason };
    }
    const first = u.current === null;
    u.current = next;
    this.logRecord(u, { type: first ? 'pack-loaded' : 'pack-reloaded', pack: 'sha256:' + next.digest, name: next.name, serial: next.serial });
    this.report(`${who}${first ? 'serving' : 'reloaded'} pack \`${next.name}\` serial ${next.serial} (sha256:${next.digest.slice(0, 12)}…)`);
    return { ok: true, name: next.name, serial: next.serial, digest: next.digest };
  }

  private logRecord(u: Unit, fields: { type: string; [k: string]: unknown }): void {
    const log = u.log;
    if (!log) return;
    try {
      log.append(fields);
      log.flush();
    } catch (e) {
      this.report(oneLine(e));
    }
  }

  /**
   * Stops accepting connections, answers what clients already sent, ends
   * every connection once its answers are written, then closes the log
   * (final checkpoint, fdatasync). Connections still open after `graceMs` are cut.
   */
  async close(graceMs = 5000): Promise<void> {
    this.draining = true;
    const closing = [this.server, this.admin].filter((s): s is Server => s !== null).map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const s of this.sockets) s.end();
    const t = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, graceMs);
    t.unref();
    await Promise.all(closing);
    clearTimeout(t);
    for (const u of this.units.values()) await u.log?.close();
  }

  /**
   * One decision connection. The hot path is one `data` handler: it splits
   * the chunk's lines on the newline byte (a line split across chunks is
   * kept aside, bounded by `maxLineBytes`), decides each request
   * synchronously, writes the records of the whole chunk to the log in one
   * write(2), then the chunk's answers in one socket write, in request order,
   * in the same tick. No readline, no promise, no timer per request.
   */
  private onConnection(sock: Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    // A half-closed client (it sent FIN) still gets the answers to what it sent.
    sock.on('end', () => sock.end());
    // The start of a line split across chunks, copied into one buffer that
    // doubles as needed (bounded by maxLineBytes; never one piece per chunk:
    // a client dribbling a line byte by byte must not cost an object per byte).
    let part: Buffer | null = null;
    let partLen = 0;
    const keepPart = (from: Buffer, start: number, end: number): void => {
      const need = partLen + (end - start);
      if (part === null || part.length < need) {
        const next = Buffer.allocUnsafe(Math.min(Math.max(need, 2 * (part?.length ?? 0), 256), maxLine));
        if (part !== null) part.copy(next, 0, 0, partLen);
        part = next;
      }
      from.copy(part, partLen, start, end);
      partLen = need;
    };
    let skipping = false;
    const maxLine = this.maxLine;
    sock.on('data', (chunk: Buffer) => {
      const batch = this.batch;
      batch.length = 0;
      let text = '';
      let start = 0;
      const n = chunk.length;
      while (start < n) {
        const nl = chunk.indexOf(NEWLINE, start);
        if (nl < 0) {
          if (skipping) break;
          const rest = n - start;
          if (partLen + rest > maxLine) {
            text += this.keep(errorLine(null, 'LINE_TOO_LONG', `request line longer than ${maxLine} bytes: discarded up to its newline`));
            part = null;
            partLen = 0;
            skipping = true;
            break;
          }
          keepPart(chunk, start, n);
          break;
        }
        if (skipping) {
          skipping = false;
        } else if (partLen + (nl - start) > maxLine) {
          text += this.keep(errorLine(null, 'LINE_TOO_LONG', `request line longer than ${maxLine} bytes: discarded`));
        } else if (partLen > 0) {
          keepPart(chunk, start, nl);
          text += this.answer(part!.toString('utf8', 0, partLen));
        } else if (nl > start) {
          text += this.answer(chunk.toString('utf8', start, nl));
        }
        if (partLen > 0) {
          part = null;
          partLen = 0;
        }
        start = nl + 1;
      }
      if (text === '') return;
      if (this.logs.length > 0) text = this.flushLogs(text);
      if (!sock.write(text) && sock.writableLength > this.maxPending) {
        sock.pause();
        sock.once('drain', () => sock.resume());
      }
    });
  }

  /**
   * Writes the records of a batch before its answers go out. Fail closed: when
   * a log cannot be written, every decision of the batch becomes a denial
   * (a decision that could not be logged is not given).
   */
  private flushLogs(text: string): string {
    try {
      for (const l of this.logs) l.flush();
      return text;
    } catch (e) {
      const denied = decisionToJson(evalError(null, `the decision log cannot be written (${oneLine(e)})`));
      const b = this.batch;
      let out = '';
      for (let i = 0; i < b.length; i += 2) out += b[i + 1] !== NOT_DECIDED ? decisionLine(b[i + 1] as RequestId, denied) : (b[i] as string);
      this.report(oneLine(e));
      return out;
    }
  }

  /** Notes an answer line that is not a decision in the batch (for {@link flushLogs}); returns it. */
  private keep(line: string): string {
    if (this.logs.length > 0) this.batch.push(line, NOT_DECIDED);
    return line;
  }

  /** The answer line to one request line (empty for a blank line). */
  private answer(text: string): string {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      if (text.trim() === '') return '';
      return this.keep(errorLine(null, 'PARSE_ERROR', 'the request line is not JSON'));
    }
    const r = parseRequest(v);
    if (isRequestError(r)) return this.keep(errorLine(r.id, r.code, r.message));
    if (this.draining) return this.keep(errorLine(r.id, 'SHUTTING_DOWN', 'the server is shutting down'));
    let u: Unit | undefined;
    if (r.tenant === undefined) {
      u = this.single ?? undefined;
      if (!u) return this.keep(errorLine(r.id, 'INVALID_REQUEST', 'this server hosts tenants: name one in `tenant`'));
    } else {
      u = r.tenant === '' ? undefined : this.units.get(r.tenant);
      if (!u) return this.keep(errorLine(r.id, 'INVALID_REQUEST', this.hasTenants ? `unknown tenant \`${r.tenant.slice(0, 64)}\`` : 'this server hosts no tenants: leave out `tenant`'));
    }
    const sp = u.current;
    if (sp === null) return this.keep(errorLine(r.id, 'DAEMON_NOT_READY', 'the pack is not verified and loaded yet', NOT_READY_RETRY_MS));
    const line = decisionLine(r.id, sp.pack.decisionText(this.decide(u, sp, r, v as { time?: unknown })));
    if (this.logs.length > 0) this.batch.push(line, r.id);
    return line;
  }

  private decide(u: Unit, sp: ServedPack, r: DecisionRequest, raw: { time?: unknown }): Decision {
    // A call that carries `time` goes to the runtime as sent: it denies it (INVALID_CALL).
    const call: Call = r.carriesTime ? ({ ...r.call, time: raw.time } as Call) : r.call;
    let d = sp.pack.decide(call);
    if (d.effect === 'defer' && r.approvalId !== undefined) {
      const state = u.approvals.redeem(r.approvalId, call);
      const id = r.approvalId;
      if (state === 'approved')
        d = { effect: 'permit', code: 'PERMIT', rule_ref: d.rule_ref, human_message: `permitted: approval ${id} was granted by an operator (used once)`, resolution: null, approval_id: id };
      else if (state === 'denied')
        d = { effect: 'deny', code: 'POLICY_DENY', rule_ref: d.rule_ref, human_message: `denied: approval ${id} was denied by an operator`, resolution: { type: 'rule_block', rule_id: d.rule_ref ?? 'approval' }, approval_id: id };
      else if (state === 'pending') d = { ...d, approval_id: id, resolution: { type: 'pending_approval', approval_id: id } };
    }
    if (d.effect === 'defer' && d.approval_id !== undefined && d.approval_id !== r.approvalId) u.approvals.add(d.approval_id, call, d.rule_ref);
    const log = u.log;
    if (log) {
      const args = d.code === 'INVALID_CALL' ? null : sp.pack.recordedArgs(call);
      const rec: { type: string; [k: string]: unknown } = {
        type: 'decision',
        pack: 'sha256:' + sp.digest,
        request_id: r.id,
        agent: call.agent,
        tool: call.tool,
        session: call.session ?? '',
        effect: d.effect,
        code: d.code,
        rule_ref: d.rule_ref,
      };
      if (d.approval_id !== undefined) rec['approval_id'] = d.approval_id;
      rec['args'] = args;
      log.append(rec);
    }
    return d;
  }

  private status(u: Unit): { ready: boolean; pack: unknown; log: unknown } {
    const sp = u.current;
    return { ready: sp !== null, pack: sp ? { name: sp.name, serial: sp.serial, digest: 'sha256:' + sp.digest } : null, log: u.log ? { last_seq: u.log.lastSeq } : null };
  }

  private onAdmin(sock: Socket): void {
    sock.on('error', () => sock.destroy());
    sock.on('end', () => sock.end());
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > 64 * 1024) {
        sock.end(JSON.stringify({ ok: false, error: 'admin request too long' }) + '\n');
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        void this.adminAnswer(line).then((a) => sock.write(JSON.stringify(a) + '\n'));
      }
    });
  }

  private async adminAnswer(line: string): Promise<{ ok: boolean; [k: string]: unknown }> {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      return { ok: false, error: 'the admin request is not JSON' };
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return { ok: false, error: 'an admin request is a JSON object' };
    const o = v as { [k: string]: unknown };
    for (const k of Object.keys(o)) if (k !== 'op' && k !== 'id' && k !== 'tenant') return { ok: false, error: `unknown field \`${k.slice(0, 64)}\`` };
    if (o['tenant'] !== undefined && typeof o['tenant'] !== 'string') return { ok: false, error: '`tenant` must be a string' };
    const tenant = (o['tenant'] as string | undefined) ?? '';
    if (o['op'] === 'reload' && tenant === '' && this.hasTenants) {
      const all = await this.reloadAll();
      const refused = [...all].filter(([, r]) => !r.ok).map(([t, r]) => `${t}: ${(r as { reason: string }).reason}`);
      return refused.length ? { ok: false, error: `pack refused for tenant ${refused.join('; ')}` } : { ok: true, tenants: Object.fromEntries([...all].map(([t, r]) => [t, r])) };
    }
    if (o['op'] === 'status' && tenant === '' && this.hasTenants) {
      const tenants = Object.create(null) as { [k: string]: unknown };
      for (const u of this.units.values()) tenants[u.name] = this.status(u);
      return { ok: true, ready: [...this.units.values()].every((u) => u.current !== null), tenants };
    }
    const u = this.units.get(tenant);
    if (!u) return { ok: false, error: tenant === '' ? 'this server hosts tenants: name one in `tenant`' : `unknown tenant \`${tenant.slice(0, 64)}\`` };
    switch (o['op']) {
      case 'status':
        return { ok: true, ...this.status(u) };
      case 'list':
        return { ok: true, approvals: u.approvals.list() };
      case 'approve':
      case 'deny': {
        if (typeof o['id'] !== 'string') return { ok: false, error: '`id` must be a string' };
        const a = u.approvals.answer(o['id'], o['op'] === 'approve' ? 'approved' : 'denied');
        if (typeof a === 'string') return { ok: false, error: a };
        this.logRecord(u, { type: 'approval', approval_id: a.id, status: a.status, agent: a.agent, tool: a.tool, session: a.session, rule_ref: a.rule_ref });
        return { ok: true, approval: a };
      }
      case 'reload': {
        const r = await this.reload(tenant);
        return r.ok ? { ok: true, pack: { name: r.name, serial: r.serial, digest: 'sha256:' + r.digest } } : { ok: false, error: `pack refused: ${r.reason}` };
      }
      default:
        return { ok: false, error: 'unknown `op`: expected status, list, approve, deny or reload' };
    }
  }
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 500);
}
