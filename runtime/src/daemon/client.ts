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

/** A connection to a decision server. */
export class DecisionClient {
  private buf = '';
  private readonly waiting: Waiter[] = [];
  private nextId = 1;
  private failed: Error | null = null;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.onData(d));
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new Error('the decision server closed the connection')));
  }

  /** Connects to the Unix socket at `path` (e.g. `$FMS_SOCKET`). */
  static connect(path: string): Promise<DecisionClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new DecisionClient(s));
      });
      s.once('error', reject);
    });
  }

  /** Sends one request; resolves with its answer (in request order). */
  decide(req: DecisionRequestBody): Promise<DecisionResponse> {
    if (this.failed) return Promise.reject(this.failed);
    const id = req.id ?? this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.push({ id, resolve, reject });
      this.sock.write(JSON.stringify({ ...req, id }) + '\n');
    });
  }

  /** Closes the connection (pending requests are rejected). */
  close(): void {
    this.sock.end();
  }

  private onData(d: string): void {
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      const w = this.waiting.shift();
      if (!w) return this.fail(new Error('the decision server sent an answer nobody asked for'));
      let r: DecisionResponse;
      try {
        r = JSON.parse(line) as DecisionResponse;
      } catch {
        w.reject(new Error('the decision server sent a line that is not JSON'));
        continue;
      }
      // Answers come in request order; an error about an unreadable line has id null.
      if (r.id !== w.id && r.id !== null) {
        w.reject(new Error(`answer for id ${JSON.stringify(r.id)} arrived for request ${JSON.stringify(w.id)}`));
        continue;
      }
      w.resolve(r);
    }
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const w of this.waiting.splice(0)) w.reject(e);
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
