/**
 * `npm run bench:json-floor` (issue 15): what the JSON path (`decideJson`:
 * `JSON.parse`, then the decision and its text) is made of on the realistic
 * stream, and how much a JSON parser written in JavaScript could save.
 *
 * Columns, p50 per call over the 16,384 call texts of realistic.ts:
 * - `JSON.parse`: V8's parser alone (what the JSON path pays first);
 * - one-pass scan: a loop that reads every character once and tracks strings
 *   and nesting, and builds nothing: the least any parser written in
 *   JavaScript must do;
 * - JS subset parser: a parser for strict JSON without escapes that builds
 *   the same objects as `JSON.parse` (checked on every text before timing);
 * - decide on parsed objects: `decideText` on objects `JSON.parse` made
 *   beforehand (the decision and its text, without the parse);
 * - `decideJson`: the JSON path itself.
 *
 * A second table (at FMS_FLOOR_KINDS sizes, default 1,000 rules) shows where
 * the JSON path's median falls: the stream split by kind of call (decision
 * code, default or rule, how many candidate rules and how many ran), sorted
 * by that kind's `decideJson` p50 in the mixed stream, with the same kind's
 * `JSON.parse` and `decideText` p50 timed on its calls alone. A third line
 * times `JSON.parse` and `decideText` separately inside one loop over the
 * mixed stream: what each costs when the other runs between its calls.
 *
 * Two more tables (same sizes) say what the parser and the stream cost:
 * - by request content: `JSON.parse` p50 over the stream's texts as sent,
 *   and over the same calls without `principal`, without `args`, without
 *   `cost`;
 * - by footprint: `JSON.parse` and `decideJson` p50 over the first 512 and
 *   2,048 calls of the stream (cycled) and over all of it. The generator
 *   draws every call the same way, so a prefix has the same mix of kinds;
 *   what changes is how many distinct tools, rules and texts the loop
 *   touches before it repeats.
 *
 * Not part of `npm run bench` (it answers design questions; the README's
 * "JSON path (session 7)" to "(session 10)" have its numbers).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Call } from '@fms/runtime';
import { type Engine, loadEngine } from './load-engine';
import { latencies, measure, quantile, timerOverheadNs } from './stats';

/** Nanoseconds as microseconds with two decimals (the tables' unit). */
const us = (ns: number): string => (ns / 1000).toFixed(2);

/** Reads every character once (strings, escapes, nesting); returns the final depth or -1. Builds nothing. */
function scan(t: string): number {
  let depth = 0;
  let inStr = false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (inStr) {
      if (c === 34) inStr = false;
      else if (c === 92) i++;
      else if (c < 32) return -1;
      continue;
    }
    if (c === 34) inStr = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
  }
  return depth;
}

/**
 * A parser for a strict subset of JSON (no escapes, no duplicate or
 * `__proto__` keys, at most 64 levels) that returns what `JSON.parse` returns,
 * or undefined for anything outside the subset. Bench code only: it is here
 * to time the idea, not to be used.
 */
class SubsetParser {
  private t = '';
  private p = 0;
  private d = 0;

  parse(text: string): unknown {
    this.t = text;
    this.p = 0;
    this.d = 0;
    if (this.ws() !== 123) return undefined;
    const v = this.obj();
    if (v === undefined) return undefined;
    this.ws();
    return this.p === this.t.length ? v : undefined;
  }

  private ws(): number {
    let c = this.t.charCodeAt(this.p);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = this.t.charCodeAt(++this.p);
    return c;
  }

  /** At an opening quote: the string up to the closing one, or undefined (escape, control character, end). */
  private str(): string | undefined {
    const s = ++this.p;
    for (;;) {
      const c = this.t.charCodeAt(this.p);
      if (c === 34) break;
      if (c === 92 || c < 32 || c !== c) return undefined;
      this.p++;
    }
    return this.t.slice(s, this.p++);
  }

  private num(c: number): number | undefined {
    const t = this.t;
    const s = this.p;
    if (c === 45) c = t.charCodeAt(++this.p);
    if (c === 48) c = t.charCodeAt(++this.p);
    else if (c >= 49 && c <= 57) {
      do c = t.charCodeAt(++this.p);
      while (c >= 48 && c <= 57);
    } else return undefined;
    if (c === 46) {
      c = t.charCodeAt(++this.p);
      if (!(c >= 48 && c <= 57)) return undefined;
      do c = t.charCodeAt(++this.p);
      while (c >= 48 && c <= 57);
    }
    if (c === 101 || c === 69) {
      c = t.charCodeAt(++this.p);
      if (c === 43 || c === 45) c = t.charCodeAt(++this.p);
      if (!(c >= 48 && c <= 57)) return undefined;
      do c = t.charCodeAt(++this.p);
      while (c >= 48 && c <= 57);
    }
    return +t.slice(s, this.p);
  }

  private val(c: number): unknown {
    if (c === 34) return this.str();
    if (c === 123) return this.obj();
    if (c === 91) return this.arr();
    if (c === 116) return this.word('true', true);
    if (c === 102) return this.word('false', false);
    if (c === 110) return this.word('null', null);
    return this.num(c);
  }

  private word<T>(w: string, v: T): T | undefined {
    if (!this.t.startsWith(w, this.p)) return undefined;
    this.p += w.length;
    return v;
  }

  private obj(): object | undefined {
    if (++this.d > 64) return undefined;
    this.p++;
    const o: Record<string, unknown> = {};
    let c = this.ws();
    if (c === 125) {
      this.p++;
      this.d--;
      return o;
    }
    for (;;) {
      if (c !== 34) return undefined;
      const k = this.str();
      if (k === undefined || k === '__proto__' || Object.hasOwn(o, k)) return undefined;
      if (this.ws() !== 58) return undefined;
      this.p++;
      const v = this.val(this.ws());
      if (v === undefined) return undefined;
      o[k] = v;
      c = this.ws();
      if (c === 44) {
        this.p++;
        c = this.ws();
        continue;
      }
      if (c !== 125) return undefined;
      this.p++;
      this.d--;
      return o;
    }
  }

  private arr(): unknown[] | undefined {
    if (++this.d > 64) return undefined;
    this.p++;
    const a: unknown[] = [];
    let c = this.ws();
    if (c === 93) {
      this.p++;
      this.d--;
      return a;
    }
    for (;;) {
      const v = this.val(c);
      if (v === undefined) return undefined;
      a.push(v);
      c = this.ws();
      if (c === 44) {
        this.p++;
        c = this.ws();
        continue;
      }
      if (c !== 93) return undefined;
      this.p++;
      this.d--;
      return a;
    }
  }
}

/** A call's kind: decision code (+r redacted, +m mandatory), default or rule, candidate rules and rules run (each capped at 4). */
function kindOf(pack: ReturnType<Engine['loadPackBody']>, c: Call): string {
  const x = pack.explain(c);
  const d = x.decision;
  const ran = x.events.filter((e) => e.kind === 'rule').length;
  const dflt = x.events.some((e) => e.kind === 'default');
  return `${d.code}${d.redacted_args ? '+r' : ''}${d.mandatory ? '+m' : ''} ${dflt ? 'default' : 'rule'} cand=${Math.min(x.candidates, 4)} ran=${Math.min(ran, 4)}`;
}

interface Prepared {
  calls: Call[];
  texts: string[];
  body: Uint8Array;
}

const prepared = new Map<number, Prepared>();

/** The realistic stack of `n` rules compiled to a pack body, and its calls as objects and as JSON texts (made once per size). */
function prepare(engine: Engine, n: number): Prepared {
  let p = prepared.get(n);
  if (p === undefined) {
    const s = engine.realisticStack(n);
    const r = engine.compile(s.source, 'governance.fms');
    if (!r.ir) throw new Error('realistic stack does not compile');
    p = { calls: s.calls, texts: s.calls.map((c) => JSON.stringify(c)), body: engine.emitPackBody(r.ir) };
    prepared.set(n, p);
  }
  return p;
}

/** The per-kind table and the one-loop line for one size. */
function kinds(engine: Engine, n: number, overhead: number): string[] {
  const { calls, texts, body } = prepare(engine, n);
  const probe = engine.loadPackBody(body);
  const kind = calls.map((c) => kindOf(probe, c));
  const S = 300_000;
  const pack = engine.loadPackBody(body);
  const lat = latencies(texts, (t) => engine.decideJson(pack, t), S, overhead);
  const byKind = new Map<string, number[]>();
  for (let i = 0; i < S; i++) {
    const k = kind[i % texts.length]!;
    let l = byKind.get(k);
    if (l === undefined) byKind.set(k, (l = []));
    l.push(lat[i]!);
  }
  const count = new Map<string, number>();
  for (const k of kind) count.set(k, (count.get(k) ?? 0) + 1);
  const rows = [...byKind].map(([k, l]) => ({ k, n: count.get(k)!, mix: quantile(Float64Array.from(l), 0.5) })).sort((a, b) => a.mix - b.mix);
  const out = [
    '',
    `Where the JSON path's median falls at ${n.toLocaleString('en-US')} rules: decideJson p50 ${us(quantile(lat, 0.5))} µs over the mixed stream; by kind of call (kinds under 1 % of calls are left out of the table, not of the stream):`,
    '| kind of call | share | cumulative | decideJson p50 in the mix µs | JSON.parse alone µs | decideText alone µs | mix − parse − decide µs |',
    '|---|---|---|---|---|---|---|',
  ];
  let cum = 0;
  for (const row of rows) {
    cum += row.n;
    if (row.n < texts.length / 100) continue;
    const mine = texts.filter((_, i) => kind[i] === row.k);
    const objs = mine.map((t) => JSON.parse(t) as Call);
    const parse = measure(mine, (t) => JSON.parse(t), 100_000, overhead, 20_000).p50;
    const p = engine.loadPackBody(body);
    const dec = measure(objs, (o) => p.decideText(o), 100_000, overhead, 20_000).p50;
    out.push(`| ${row.k} | ${((100 * row.n) / texts.length).toFixed(0)} % | ${((100 * cum) / texts.length).toFixed(0)} % | ${us(row.mix)} | ${us(parse)} | ${us(dec)} | ${us(row.mix - parse - dec)} |`);
  }
  // JSON.parse and decideText timed apart inside one loop over the mixed stream.
  const p2 = engine.loadPackBody(body);
  const a = new Float64Array(S);
  const b = new Float64Array(S);
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < S; i++) {
      const t0 = process.hrtime.bigint();
      const o = JSON.parse(texts[i % texts.length]!) as Call;
      const t1 = process.hrtime.bigint();
      p2.decideText(o);
      const t2 = process.hrtime.bigint();
      a[i] = Math.max(0, Number(t1 - t0) - overhead);
      b[i] = Math.max(0, Number(t2 - t1) - overhead);
    }
  }
  const parseAlone = measure(texts, (t) => JSON.parse(t), 200_000, overhead).p50;
  const objs = texts.map((t) => JSON.parse(t) as Call);
  const p3 = engine.loadPackBody(body);
  const decAlone = measure(objs, (o) => p3.decideText(o), 200_000, overhead).p50;
  out.push('', `In one loop over the mixed stream, timed apart: JSON.parse p50 ${us(quantile(a, 0.5))} µs (${us(parseAlone)} in a loop of its own), decideText p50 ${us(quantile(b, 0.5))} µs (${us(decAlone)} in a loop of its own, on objects parsed beforehand).`);
  return out;
}

/** `JSON.parse` by request content and the JSON path by the stream's footprint, for one size. */
function parseAndFootprint(engine: Engine, n: number, overhead: number): string[] {
  const { calls, texts, body } = prepare(engine, n);
  const bytes = (ts: readonly string[]): string => quantile(Float64Array.from(ts, (t) => t.length), 0.5).toFixed(0);
  const without = (k: keyof Call): string[] =>
    calls.map((c) => {
      const o: Partial<Call> = { ...c };
      delete o[k];
      return JSON.stringify(o);
    });
  const out = ['', `JSON.parse by request content at ${n.toLocaleString('en-US')} rules (p50 over the stream's calls):`, '| texts | median bytes | JSON.parse p50 µs |', '|---|---|---|'];
  const parseP50 = (ts: readonly string[]): number => measure(ts, (t) => JSON.parse(t), 200_000, overhead).p50;
  const asSent = parseP50(texts);
  out.push(`| as sent | ${bytes(texts)} | ${us(asSent)} |`);
  for (const [name, ts] of [
    ['without principal', without('principal')],
    ['without args', without('args')],
    ['without cost', without('cost')],
  ] as const) {
    out.push(`| ${name} | ${bytes(ts)} | ${us(parseP50(ts))} |`);
  }
  out.push('', `The JSON path by footprint at ${n.toLocaleString('en-US')} rules (the first k calls of the stream, cycled; same code, same mix of kinds):`, '| distinct calls | distinct (agent, tool) pairs | JSON.parse p50 µs | decideJson p50 µs |', '|---|---|---|---|');
  for (const k of [512, 2048, texts.length]) {
    const ts = texts.slice(0, k);
    const tools = new Set(calls.slice(0, k).map((c) => `${c.agent}\u0000${c.tool}`)).size;
    // The whole stream's parse is the 'as sent' row above: not timed twice.
    const parse = k === texts.length ? asSent : parseP50(ts);
    const pack = engine.loadPackBody(body);
    const js = measure(ts, (t) => engine.decideJson(pack, t), 200_000, overhead).p50;
    out.push(`| ${k.toLocaleString('en-US')} | ${tools.toLocaleString('en-US')} | ${us(parse)} | ${us(js)} |`);
  }
  return out;
}

async function main(): Promise<void> {
  const engine = await loadEngine();
  const overhead = timerOverheadNs();
  const sizes = (process.env.FMS_BENCH_SIZES ?? '10,1000,10000').split(',').map(Number);
  const rows: string[] = [];
  for (const n of sizes) {
    const { texts, body } = prepare(engine, n);
    const parser = new SubsetParser();
    // The subset parser must give what JSON.parse gives, key order included, on every text it times.
    for (const t of texts) {
      const a = parser.parse(t);
      if (a === undefined || !isDeepStrictEqual(a, JSON.parse(t)) || JSON.stringify(a) !== t) throw new Error(`subset parser differs from JSON.parse on ${t}`);
    }
    if (texts.some((t) => scan(t) !== 0)) throw new Error('scan failed on a call text');
    const parsed = texts.map((t) => JSON.parse(t) as object);
    const idx = Array.from(texts.keys());
    const parse = measure(texts, (t) => JSON.parse(t), 200_000, overhead);
    const sc = measure(texts, scan, 200_000, overhead);
    const sub = measure(texts, (t) => parser.parse(t), 200_000, overhead);
    const pack1 = engine.loadPackBody(body);
    const dec = measure(idx, (i) => pack1.decideText(parsed[i]! as Parameters<typeof pack1.decideText>[0]), 200_000, overhead);
    const pack2 = engine.loadPackBody(body);
    const js = measure(texts, (t) => engine.decideJson(pack2, t), 200_000, overhead);
    rows.push(`| ${n.toLocaleString('en-US')} | ${us(parse.p50)} | ${us(sc.p50)} | ${us(sub.p50)} | ${us(dec.p50)} | ${us(parse.p50 + dec.p50)} | ${us(js.p50)} |`);
  }
  console.log('JSON path floor (realistic stream, p50 µs per call)');
  console.log('| rules | JSON.parse | one-pass scan | JS subset parser | decide on parsed objects | JSON.parse + decide | decideJson |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  for (const n of (process.env.FMS_FLOOR_KINDS ?? '1000').split(',').filter((x) => x !== '').map(Number)) {
    for (const line of kinds(engine, n, overhead)) console.log(line);
    for (const line of parseAndFootprint(engine, n, overhead)) console.log(line);
  }
}

await main();
