/**
 * Decision state: token buckets, budget counters, per-session phase and history.
 * The evaluator reads and mutates the objects this interface hands out; a
 * persistent backend can write them back after each decision.
 */
import { randomApprovalId } from './approval-id';

/** A token bucket (rate limits). */
export interface TokenBucket {
  tokens: number;
  /** Time of the last refill, ms. */
  lastMs: number;
}

/** A budget window's counter. */
export interface BudgetCounter {
  spent: number;
  calls: number;
}

/** One recorded call of a session (for the history functions). */
export interface HistoryEntry {
  tool: string;
  effect: 'permit' | 'deny' | 'defer';
  timeMs: number;
  args: { [k: string]: unknown } | undefined;
}

/** A session of one agent. */
export interface SessionState {
  /** Current phase id, or null before the first call / for agents without phases. */
  phase: string | null;
  /** When the current phase was entered, ms. */
  phaseSinceMs: number;
  /** Recorded calls, oldest first (bounded: the oldest entries are dropped). */
  history: HistoryEntry[];
  /** `session {}` limit counters; created on the first call that passes them (runtime clock). */
  limits?: SessionLimitState;
  /** Delegator id → when this session's first call under its delegation passed (runtime clock, ms; for `ttl`). */
  delegatedSince?: { [by: string]: number };
}

/** What a session has used of its `session {}` limits. */
export interface SessionLimitState {
  /** The session's first permitted or deferred call, ms. */
  startMs: number;
  /** The latest permitted or deferred call, ms. */
  lastMs: number;
  /** Permitted or deferred calls so far. */
  calls: number;
  /** USD reported by those calls. */
  spent: number;
}

/** The small state interface the evaluator needs. Keys are opaque strings built by the evaluator. */
export interface StateStore {
  /** The bucket at `key`, or undefined when never used (a full bucket). */
  getBucket(key: string): TokenBucket | undefined;
  setBucket(key: string, b: TokenBucket): void;
  /** The counter at `key`, or undefined (zero). */
  getCounter(key: string): BudgetCounter | undefined;
  setCounter(key: string, c: BudgetCounter): void;
  /** The session at `key`, created empty on first use. */
  session(key: string): SessionState;
  /** A fresh approval id for a deferred call. */
  approvalId(): string;
}

/** Most history entries kept per session. */
export const HISTORY_LIMIT = 1000;

/** Appends to a session's history, dropping the oldest entries past HISTORY_LIMIT. */
export function recordHistory(s: SessionState, e: HistoryEntry): void {
  s.history.push(e);
  if (s.history.length > 2 * HISTORY_LIMIT) s.history.splice(0, s.history.length - HISTORY_LIMIT);
}

/** Options of the in-memory store. */
export interface MemoryStateOptions {
  /** Approval-id generator (default `apr-` + random hex); tests pass a counter. */
  approvalId?: () => string;
}

/** The default in-memory store. */
export class MemoryState implements StateStore {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly counters = new Map<string, BudgetCounter>();
  private readonly sessions = new Map<string, SessionState>();
  private readonly nextApproval: () => string;

  constructor(opts: MemoryStateOptions = {}) {
    this.nextApproval = opts.approvalId ?? randomApprovalId;
  }
  getBucket(key: string): TokenBucket | undefined {
    return this.buckets.get(key);
  }
  setBucket(key: string, b: TokenBucket): void {
    this.buckets.set(key, b);
  }
  getCounter(key: string): BudgetCounter | undefined {
    return this.counters.get(key);
  }
  setCounter(key: string, c: BudgetCounter): void {
    this.counters.set(key, c);
  }
  session(key: string): SessionState {
    let s = this.sessions.get(key);
    if (s === undefined) {
      s = { phase: null, phaseSinceMs: 0, history: [] };
      this.sessions.set(key, s);
    }
    return s;
  }
  approvalId(): string {
    return this.nextApproval();
  }
}

/** A clock in milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

/** The system clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(public ms = 0) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}
