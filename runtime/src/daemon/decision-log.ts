/**
 * The tamper-evident decision log of `fms-run serve` (DESIGN §7).
 *
 * JSON lines; each record is one object whose first fields are `seq`
 * (1, 2, 3… across files), `prev_hash` (`sha256:` + hex SHA-256 of the exact
 * bytes of the previous record's line, without its newline; 64 zeros before
 * the first record) and `time` (the server clock), then `type` and its
 * fields. Decision records carry the pack digest, agent, tool, session,
 * effect, code, `rule_ref`, approval id and the arguments AFTER redaction
 * (the pipeline's redacted copy: an unredacted value is never written).
 *
 * Checkpoints: every N records, every T seconds, at rotation and at shutdown
 * a `checkpoint` record carries a DSSE envelope (payload type
 * {@link CHECKPOINT_PAYLOAD_TYPE}) signed over the canonical JSON
 * `{"first_seq","head_hash","last_seq","log","time"}`: the range of records it
 * covers and the hash of the record `last_seq`. Forging or editing a covered
 * record then needs the signing key.
 *
 * fsync policy (`fsync`): `always` fdatasyncs after every batch of records
 * before the answers are sent; `checkpoint` (default) after each checkpoint
 * (on the thread pool: answers are not held for it), and before rotation and
 * shutdown close the file; `never` leaves it to the OS. Records are always
 * written (write(2)) before the answers of their batch are sent, so a killed
 * server (SIGKILL) loses no answered decision unless the machine loses power.
 *
 * Rotation: when the file reaches `maxBytes`, a checkpoint is written, the
 * file is renamed to `FILE.<first seq>-<last seq>` (12 digits each) and a new
 * FILE continues the chain (its first `prev_hash` is the hash of the old
 * file's last line).
 *
 * Recovery: on open, a torn last line (a write cut by a crash) is cut off
 * and a `recovered` record notes how many bytes were dropped; the chain
 * continues from the last complete record (in FILE, or in the newest rotated
 * file when FILE is missing or empty).
 */
import { hash } from 'node:crypto';
import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readdirSync, readFileSync, renameSync, writeSync, constants as fsc } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { encodeBase64 } from '../crypto/base64';
import { pae } from '../trust/dsse';
import { canonicalJson } from '../trust/canonical-json';
import type { Signer } from './signer';

/** DSSE payload type of a decision-log checkpoint. */
export const CHECKPOINT_PAYLOAD_TYPE = 'application/vnd.fms.decision-log.checkpoint.v1+json';
/** `log` field of every checkpoint payload. */
export const LOG_FORMAT = 'fms-decision-log-v1';
/** `prev_hash` of the first record. */
export const GENESIS_HASH = 'sha256:' + '0'.repeat(64);

/** When to fdatasync the log (see the module comment). */
export type FsyncPolicy = 'always' | 'checkpoint' | 'never';

/** Options of {@link DecisionLog.open}. */
export interface DecisionLogOptions {
  path: string;
  /** Signs checkpoints; without one the log is hash-chained but carries no checkpoints. */
  signer?: Signer;
  /** A checkpoint after this many records (default 1000). */
  checkpointEvery?: number;
  /** A checkpoint after this many seconds with new records (default 60; 0 turns the timer off). */
  checkpointSeconds?: number;
  /** Rotate when the file reaches this size (default 64 MiB). */
  maxBytes?: number;
  fsync?: FsyncPolicy;
  /** Milliseconds since the epoch (default `Date.now`). */
  now?: () => number;
  /** Reports a checkpoint or rotation failure (one line). */
  onError?: (message: string) => void;
}

/** A log that cannot be opened or written (a one-line reason). */
export class DecisionLogError extends Error {}

const ROTATED_RE = /^\.(\d{12})-(\d{12})$/;

/** `sha256:` + hex SHA-256 of a record line (without its newline). */
export function lineHash(line: string): string {
  // One-shot hash (no Hash object per record): the log's per-decision cost.
  return 'sha256:' + hash('sha256', line, 'hex');
}

/** The rotated files of `path` (`path.<first>-<last>`), oldest first. */
export function rotatedFiles(path: string): string[] {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(base) && ROTATED_RE.test(n.slice(base.length)))
    .sort()
    .map((n) => join(dir, n));
}

interface Tail {
  seq: number;
  hash: string;
  firstSeq: number | null;
  checkpointed: number;
}

/** The last complete record of a log file's text, its first seq and the last seq a checkpoint covered. */
function scan(text: string, file: string): Tail | null {
  let seq = 0;
  let hash = '';
  let firstSeq: number | null = null;
  let checkpointed = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line === '') continue;
    let r: { seq?: unknown; type?: unknown; last_seq?: unknown };
    try {
      r = JSON.parse(line);
    } catch {
      throw new DecisionLogError(`decision log \`${file}\`: record after seq ${seq} is not JSON: verify it with \`fms-run log verify\` and move it aside`);
    }
    if (typeof r.seq !== 'number' || !Number.isSafeInteger(r.seq)) throw new DecisionLogError(`decision log \`${file}\`: record after seq ${seq} has no valid seq`);
    seq = r.seq;
    firstSeq ??= seq;
    hash = lineHash(line);
    if (r.type === 'checkpoint' && typeof r.last_seq === 'number') checkpointed = r.last_seq;
  }
  return seq === 0 ? null : { seq, hash, firstSeq, checkpointed };
}

/** An append-only, hash-chained, checkpointed decision log (see the module comment). */
export class DecisionLog {
  private fd: number;
  private seq: number;
  private head: string;
  private fileFirstSeq: number | null;
  private fileBytes: number;
  private checkpointed: number;
  private pending: string[] = [];
  private sinceCheckpoint = 0;
  private signing: Promise<void> | null = null;
  /** The last background fdatasync (it resolves after every earlier one). */
  private syncing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Set by the first failed write: every later flush fails too (fail closed until a restart). */
  private writeError: DecisionLogError | null = null;
  private rotating = false;
  /** The last record time and its ISO text (records of one millisecond share it). */
  private timeMs = NaN;
  private timeText = '';
  private readonly opts: Required<Omit<DecisionLogOptions, 'signer' | 'onError'>> & Pick<DecisionLogOptions, 'signer' | 'onError'>;

  private constructor(opts: DecisionLogOptions) {
    this.opts = {
      checkpointEvery: 1000,
      checkpointSeconds: 60,
      maxBytes: 64 * 1024 * 1024,
      fsync: 'checkpoint',
      now: Date.now,
      ...opts,
    };
    const { fd, tail, dropped } = DecisionLog.openFile(opts.path);
    this.fd = fd;
    this.fileBytes = fstatSync(fd).size;
    let prev = tail;
    if (prev === null) {
      const rotated = rotatedFiles(opts.path);
      const last = rotated[rotated.length - 1];
      if (last !== undefined) prev = scan(readFileSync(last, 'utf8'), last);
      if (prev) prev = { ...prev, firstSeq: null };
    }
    this.seq = prev?.seq ?? 0;
    this.head = prev?.hash ?? GENESIS_HASH;
    this.fileFirstSeq = tail?.firstSeq ?? null;
    this.checkpointed = prev?.checkpointed ?? 0;
    if (dropped > 0) {
      this.append({ type: 'recovered', dropped_bytes: dropped, detail: 'a torn last line (cut by a crash) was removed' });
      this.flush();
    }
    if (this.opts.checkpointSeconds > 0 && this.opts.signer) {
      this.timer = setInterval(() => {
        if (this.seq > this.checkpointed) void this.checkpoint();
      }, this.opts.checkpointSeconds * 1000);
      this.timer.unref();
    }
  }

  /** Opens (creating, mode 0600) the log at `opts.path`, recovering a torn tail; throws {@link DecisionLogError}. */
  static open(opts: DecisionLogOptions): DecisionLog {
    return new DecisionLog(opts);
  }

  private static openFile(path: string): { fd: number; tail: Tail | null; dropped: number } {
    let fd: number;
    try {
      fd = openSync(path, fsc.O_RDWR | fsc.O_CREAT | fsc.O_APPEND | (fsc.O_NOFOLLOW ?? 0), 0o600);
    } catch (e) {
      throw new DecisionLogError(`cannot open decision log \`${path}\`: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    try {
      if (!fstatSync(fd).isFile()) throw new DecisionLogError(`decision log \`${path}\` is not a regular file`);
      const text = readFileSync(fd, 'utf8');
      const cut = text.lastIndexOf('\n') + 1;
      let dropped = 0;
      if (cut < text.length) {
        dropped = Buffer.byteLength(text.slice(cut));
        ftruncateSync(fd, Buffer.byteLength(text.slice(0, cut)));
      }
      return { fd, tail: scan(text.slice(0, cut), path), dropped };
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** The seq of the last record appended. */
  get lastSeq(): number {
    return this.seq;
  }

  /** The hash of the last record appended. */
  get headHash(): string {
    return this.head;
  }

  /**
   * Appends a record (buffered until {@link flush}); `fields` must not use
   * `seq` or `prev_hash` (only a checkpoint passes `time`: the one it signed). Returns its seq.
   */
  append(fields: { type: string; [k: string]: unknown }): number {
    if (this.closed) throw new DecisionLogError('the decision log is closed');
    const seq = ++this.seq;
    let line: string;
    const body = fields['time'] === undefined && fields['seq'] === undefined && fields['prev_hash'] === undefined ? JSON.stringify(fields) : '';
    if (body.length > 2 && body.charCodeAt(0) === 123) {
      // The same text as JSON.stringify({ seq, prev_hash, time, ...fields }), without copying the fields.
      line = '{"seq":' + seq + ',"prev_hash":"' + this.head + '","time":"' + this.isoTime() + '",' + body.slice(1);
    } else line = JSON.stringify({ seq, prev_hash: this.head, time: this.isoTime(), ...fields });
    this.head = lineHash(line);
    this.fileFirstSeq ??= seq;
    this.pending.push(line);
    if (fields.type !== 'checkpoint' && ++this.sinceCheckpoint >= this.opts.checkpointEvery && this.opts.signer) {
      this.sinceCheckpoint = 0;
      void this.checkpoint();
    }
    return seq;
  }

  /** The server clock as ISO 8601 text (computed once per millisecond). */
  private isoTime(): string {
    const ms = this.opts.now();
    if (ms !== this.timeMs) {
      this.timeMs = ms;
      this.timeText = new Date(ms).toISOString();
    }
    return this.timeText;
  }

  /**
   * Writes the buffered records (and fdatasyncs under `always`); throws
   * {@link DecisionLogError} when they cannot be written, and from then on at
   * every call (the server then denies what it cannot log).
   */
  flush(): void {
    if (this.writeError) {
      this.pending = [];
      throw this.writeError;
    }
    if (this.pending.length === 0) return;
    const data = Buffer.from(this.pending.length === 1 ? this.pending[0] + '\n' : this.pending.join('\n') + '\n', 'utf8');
    this.pending = [];
    try {
      let off = 0;
      while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
      this.fileBytes += data.length;
      if (this.opts.fsync === 'always') fdatasyncSync(this.fd);
    } catch (e) {
      // Records of this batch may be lost: no later decision is answered as logged until a restart recovers the file.
      this.writeError = new DecisionLogError(`cannot write decision log \`${this.opts.path}\`: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
      throw this.writeError;
    }
    if (this.fileBytes >= this.opts.maxBytes && !this.rotating) void this.rotate();
  }

  /**
   * Signs and appends a checkpoint of the records since the last one (none
   * without a signer or new records). Concurrent calls share one signing.
   */
  checkpoint(): Promise<void> {
    if (this.signing) return this.signing;
    const signer = this.opts.signer;
    if (!signer || this.seq <= this.checkpointed || this.closed) return Promise.resolve();
    const first = this.checkpointed + 1;
    const last = this.seq;
    const head = this.head;
    // `signing` is set before the flush: a flush that fills the file starts a
    // rotation, which asks for a checkpoint and must join this one (not sign
    // the same range again).
    let settle!: () => void;
    const p = new Promise<void>((r) => (settle = r));
    this.signing = p;
    this.flushQuietly();
    void (async () => {
      const time = new Date(this.opts.now()).toISOString();
      const payload = new TextEncoder().encode(canonicalJson({ first_seq: first, head_hash: head, last_seq: last, log: LOG_FORMAT, time }));
      const sig = await signer.sign(pae(CHECKPOINT_PAYLOAD_TYPE, payload));
      this.append({
        time,
        type: 'checkpoint',
        first_seq: first,
        last_seq: last,
        head_hash: head,
        envelope: { payloadType: CHECKPOINT_PAYLOAD_TYPE, payload: encodeBase64(payload), signatures: [{ keyid: signer.keyId, sig: encodeBase64(sig) }] },
      });
      this.checkpointed = last;
      this.flush();
      if (this.opts.fsync !== 'never') this.syncInBackground();
    })()
      .catch((e) => this.opts.onError?.(`decision log checkpoint failed: ${(e as Error).message}`))
      .finally(() => {
        this.signing = null;
        settle();
      });
    return p;
  }

  /**
   * fdatasync on the thread pool: decisions are not held for the disk (a
   * checkpoint's sync took 1–7 ms on the event loop every `checkpointEvery`
   * records). Rotation and close wait for it before they close the descriptor.
   */
  private syncInBackground(): void {
    const fd = this.fd;
    const prev = this.syncing;
    const p: Promise<void> = new Promise<void>((resolve) =>
      fdatasync(fd, (e) => {
        if (e) this.opts.onError?.(`decision log fdatasync failed: ${e.code ?? e.message}`);
        resolve();
      }),
    ).then(async () => {
      if (prev) await prev;
      if (this.syncing === p) this.syncing = null;
    });
    this.syncing = p;
  }

  /** Waits for the background fdatasyncs started so far. */
  private async synced(): Promise<void> {
    while (this.syncing) await this.syncing;
  }

  private flushQuietly(): void {
    try {
      this.flush();
    } catch (e) {
      this.opts.onError?.((e as Error).message);
    }
  }

  /** Checkpoints, renames the file to `FILE.<first>-<last>` and starts a new FILE that continues the chain. */
  async rotate(): Promise<void> {
    if (this.closed || this.rotating) return;
    this.rotating = true;
    try {
      await this.rotateNow();
    } finally {
      this.rotating = false;
    }
  }

  private async rotateNow(): Promise<void> {
    await this.checkpoint();
    await this.synced();
    this.flushQuietly();
    if (this.fileFirstSeq === null) return;
    const to = `${this.opts.path}.${String(this.fileFirstSeq).padStart(12, '0')}-${String(this.seq).padStart(12, '0')}`;
    try {
      if (this.opts.fsync !== 'never') fdatasyncSync(this.fd);
      closeSync(this.fd);
      // Never write to a closed descriptor number: another file or socket may get it. -1 fails (EBADF): fail closed.
      this.fd = -1;
      renameSync(this.opts.path, to);
      this.fd = openSync(this.opts.path, fsc.O_RDWR | fsc.O_CREAT | fsc.O_APPEND | fsc.O_EXCL, 0o600);
      this.fileBytes = 0;
      this.fileFirstSeq = null;
      this.append({ type: 'rotated', previous_file: basename(to) });
      this.flush();
    } catch (e) {
      this.opts.onError?.(`decision log rotation failed: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  /** Flushes, writes a final checkpoint, fdatasyncs and closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    if (this.signing) await this.signing;
    await this.checkpoint();
    await this.synced();
    this.flushQuietly();
    this.closed = true;
    if (this.fd < 0) return;
    try {
      if (this.opts.fsync !== 'never') fdatasyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
