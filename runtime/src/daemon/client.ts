/**
 * `@fms/runtime/client`: a small client of `fms-run serve` (Node built-ins
 * only). Requests may be pipelined; answers come back in order.
 *
 * ```ts
 * const c = await DecisionClient.connect(process.env.FMS_SOCKET!);
 * const r = await c.decide({ agent: 'bot', tool: 'stripe/refund', args: { amount: 10 } });
 * if ('decision' in r && r.decision.effect === 'permit') …
 * c.close();
 * ```
 *
 * The round trip is part of every decision an agent waits for, so the client
 * is lean: the socket's bytes land in one reused buffer (`onread`, no stream
 * chunks), lines are split on the newline byte, the answers' waiters sit in
 * one FIFO (answers come in request order), there is no timer per request,
 * and the requests a pipelining caller sends in one tick go out in one write.
 */
import { createConnection, type Socket } from 'node:net';
import type { Call, Decision } from '../vm/types';
import type { ProtocolErrorCode, RequestId } from './protocol';

export type { ProtocolErrorCode, RequestId } from './protocol';

/** A request as sent (see `runtime/schema/decision-protocol.schema.json`); `id` is filled in when absent. */
export interface DecisionRequestBody extends Call {
  id?: RequestId;
  /** The approval id of a deferred call, when retrying it after an operator approved it. */
  approval_id?: string;
  /** The tenant whose pack decides (a server started with `--tenant`). */
  tenant?: string;
}

/** One answer: a decision, or a protocol error. */
export type DecisionResponse =
  | { id: RequestId; decision: Decision }
  | { id: RequestId | null; error: { code: ProtocolErrorCode; message: string; retry_after_ms?: number } };

interface Waiter {
  id: RequestId;
  resolve: (r: DecisionResponse) => void;
  reject: (e: Error) => void;
}

/** Longest answer line the client buffers (bytes): a server that sends more is cut off. */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

const NEWLINE = 10;

/** A connection to a decision server. */
export class DecisionClient {
  /** Waiters in request order: `waiting[head]` gets the next answer. */
  private waiting: Array<Waiter | undefined> = [];
  private head = 0;
  /** Bytes of an answer line not yet complete (copied out of the read buffer). */
  private partial: Buffer[] = [];
  private partialLen = 0;
  /** Request lines of this tick not yet written (null: nothing queued). */
  private out: string | null = null;
  private nextId = 1;
  private failed: Error | null = null;
  private sock!: Socket;

  private constructor() {}

  /** Connects to the Unix socket at `path` (e.g. `$FMS_SOCKET`). */
  static connect(path: string): Promise<DecisionClient> {
    const c = new DecisionClient();
    return new Promise((resolve, reject) => {
      const s = createConnection({ path, onread: { buffer: Buffer.allocUnsafe(64 * 1024), callback: (n: number, buf: Uint8Array) => c.onRead(buf as Buffer, n) } });
      c.sock = s;
      s.once('connect', () => {
        s.off('error', reject);
        s.on('error', (e) => c.fail(e));
        s.on('close', () => c.fail(new Error('the decision server closed the connection')));
        resolve(c);
      });
      s.once('error', reject);
    });
  }

  /** Sends one request; resolves with its answer (in request order). */
  decide(req: DecisionRequestBody): Promise<DecisionResponse> {
    if (this.failed) return Promise.reject(this.failed);
    let id: RequestId;
    let line: string;
    try {
      if (req.id !== undefined) {
        id = req.id;
        line = JSON.stringify(req);
      } else {
        id = this.nextId++;
        const body = JSON.stringify(req);
        // `{"id":N,` + the rest of the object, without copying the request (a `toJSON` or an empty body takes the long way).
        line = body.length > 2 && body.charCodeAt(0) === 123 ? '{"id":' + id + ',' + body.slice(1) : JSON.stringify({ ...req, id });
      }
    } catch (e) {
      // A request JSON cannot carry (a BigInt, a cycle, a throwing getter): a rejection, never a throw, and nothing is sent.
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    if (typeof line !== 'string') return Promise.reject(new Error('the request is not a JSON object'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ id, resolve, reject });
      this.send(line + '\n');
    });
  }

  /** Closes the connection (pending requests are rejected). */
  close(): void {
    this.flushOut();
    this.sock.end();
  }

  /**
   * A request with nothing else in flight (a sequential caller) is written at
   * once; requests sent while others are in flight are gathered until the end
   * of the tick and written together (a pipelining caller: one write per burst).
   */
  private send(line: string): void {
    if (this.out !== null) {
      this.out += line;
    } else if (this.waiting.length - this.head === 1) {
      this.sock.write(line);
    } else {
      this.out = line;
      process.nextTick(this.flushOut);
    }
  }

  private readonly flushOut = (): void => {
    const text = this.out;
    this.out = null;
    if (text && !this.failed) this.sock.write(text);
  };

  /** Bytes from the socket (`buf` is reused for the next read: copy what stays). */
  private onRead(buf: Buffer, n: number): boolean {
    let start = 0;
    while (start < n) {
      const nl = buf.indexOf(NEWLINE, start);
      if (nl < 0 || nl >= n) {
        this.partialLen += n - start;
        if (this.partialLen > MAX_ANSWER_BYTES) {
          this.fail(new Error(`the decision server sent an answer longer than ${MAX_ANSWER_BYTES} bytes`));
          return false;
        }
        this.partial.push(Buffer.from(buf.subarray(start, n)));
        break;
      }
      let line: string;
      if (this.partialLen > 0) {
        this.partial.push(buf.subarray(start, nl));
        line = Buffer.concat(this.partial).toString('utf8');
        this.partial = [];
        this.partialLen = 0;
      } else line = buf.toString('utf8', start, nl);
      start = nl + 1;
      if (!this.answer(line)) return false;
    }
    return true;
  }

  /** Hands one answer line to its waiter; false when the connection failed. */
  private answer(line: string): boolean {
    if (this.head >= this.waiting.length) {
      this.fail(new Error('the decision server sent an answer nobody asked for'));
      return false;
    }
    const w = this.waiting[this.head]!;
    this.waiting[this.head++] = undefined;
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    let r: DecisionResponse;
    try {
      r = JSON.parse(line) as DecisionResponse;
    } catch {
      w.reject(new Error('the decision server sent a line that is not JSON'));
      return true;
    }
    // Answers come in request order; an error about an unreadable line has id null.
    if (r === null || typeof r !== 'object' || (r.id !== w.id && r.id !== null)) {
      w.reject(new Error(`answer for id ${JSON.stringify((r as { id?: unknown } | null)?.id ?? null)} arrived for request ${JSON.stringify(w.id)}`));
      return true;
    }
    w.resolve(r);
    return true;
  }

  private fail(e: Error): void {
    this.failed ??= e;
    this.out = null;
    const pending = this.waiting.slice(this.head);
    this.waiting = [];
    this.head = 0;
    for (const w of pending) w!.reject(e);
    this.sock.destroy();
  }
}

/** One request to the admin socket of `fms-run serve` (`{"op":"status"|"list"|"approve"|"deny"|"reload","id"?,"tenant"?}`). */
export function adminRequest(path: string, req: { op: string; id?: string; tenant?: string }, timeoutMs = 30_000): Promise<{ ok: boolean; error?: string; [k: string]: unknown }> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let buf = '';
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer from the admin socket \`${path}\` within ${timeoutMs} ms`));
    }, timeoutMs);
    s.setEncoding('utf8');
    s.once('connect', () => s.write(JSON.stringify(req) + '\n'));
    s.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(t);
      s.end();
      try {
        resolve(JSON.parse(buf.slice(0, nl)));
      } catch {
        reject(new Error('the admin socket answered with a line that is not JSON'));
      }
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      reject(new Error(`cannot reach the admin socket \`${path}\`: ${e.code ?? e.message}`));
    });
  });
}
