/**
 * Approvals for deferred calls (`defer`): the decision carries an approval
 * id; an operator approves or denies it over the admin socket; an approved
 * call is permitted ONCE when the agent retries the same call (agent, tool,
 * session, args, principal, selectors, delegation) with `approval_id`,
 * within the TTL.
 */
import { createHash } from 'node:crypto';
import type { Call } from '../vm/types';

/** State of one approval. */
export type ApprovalStatus = 'pending' | 'approved' | 'denied';

/** One deferred call waiting for (or given) an operator's answer. */
export interface Approval {
  id: string;
  agent: string;
  tool: string;
  session: string;
  rule_ref: string | null;
  status: ApprovalStatus;
  /** When it was deferred (ms). */
  created_ms: number;
  /** When it stops being usable (ms): deferral + TTL while pending, answer + TTL once answered. */
  expires_ms: number;
  /** SHA-256 of the call it stands for (the retry must be the same call). */
  call_sha256: string;
}

/** Most approvals kept (pending or answered); the oldest are dropped past it. */
export const MAX_APPROVALS = 10_000;
/** Default TTL of an approval (ms). */
export const DEFAULT_APPROVAL_TTL_MS = 15 * 60 * 1000;

/** JSON with object keys sorted (args nest at most 64 levels once the runtime accepted the call). */
function stable(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return '[' + v.map(stable).join(',') + ']';
  const o = v as { [k: string]: unknown };
  return '{' + Object.keys(o).sort().map((k) => JSON.stringify(k) + ':' + stable(o[k])).join(',') + '}';
}

/** The fingerprint of a call an approval is bound to. */
export function callFingerprint(call: Call): string {
  return createHash('sha256')
    .update(stable([call.agent, call.tool, call.session ?? '', call.args ?? {}, call.principal ?? {}, call.selectors ?? {}, call.delegation ?? null, call.model ?? null]))
    .digest('hex');
}

/** The approval table of one server (keyed by approval id in a Map). */
export class ApprovalTable {
  private readonly byId = new Map<string, Approval>();

  constructor(
    private readonly ttlMs: number = DEFAULT_APPROVAL_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a deferred call. */
  add(id: string, call: Call, ruleRef: string | null): void {
    const t = this.now();
    this.byId.set(id, { id, agent: call.agent, tool: call.tool, session: call.session ?? '', rule_ref: ruleRef, status: 'pending', created_ms: t, expires_ms: t + this.ttlMs, call_sha256: callFingerprint(call) });
    if (this.byId.size > MAX_APPROVALS) this.byId.delete(this.byId.keys().next().value as string);
  }

  /** Approvals still usable, oldest first. */
  list(): Approval[] {
    this.expire();
    return [...this.byId.values()].map((a) => ({ ...a }));
  }

  /** An operator's answer; a one-line reason when the id is unknown, expired or already answered. */
  answer(id: string, status: 'approved' | 'denied'): Approval | string {
    this.expire();
    const a = this.byId.get(id);
    if (!a) return `no pending approval \`${id.slice(0, 80)}\` (unknown, expired or used)`;
    if (a.status !== 'pending') return `approval \`${id}\` was already ${a.status}`;
    a.status = status;
    a.expires_ms = this.now() + this.ttlMs;
    return { ...a };
  }

  /**
   * What a retry with `approval_id` gets: `approved` (the approval is used
   * up), `denied`, `pending`, or `none` (unknown, expired, or another call).
   */
  redeem(id: string, call: Call): 'approved' | 'denied' | 'pending' | 'none' {
    this.expire();
    const a = this.byId.get(id);
    if (!a || a.call_sha256 !== callFingerprint(call)) return 'none';
    if (a.status === 'approved') {
      this.byId.delete(id);
      return 'approved';
    }
    return a.status;
  }

  private expire(): void {
    const t = this.now();
    for (const [id, a] of this.byId) if (a.expires_ms <= t) this.byId.delete(id);
  }
}
