/**
 * A grammar-based generator of random FPL policies (source text) and of calls
 * to decide against them. Seeded and deterministic: the same seed gives the
 * same policy and the same calls, so a failure names its seed.
 *
 * It covers the language the compiler accepts: agents (bare and quoted names,
 * `default` with every effect spelling), `rules {}` blocks and bare rules, flat
 * rules, phases (`duration`, `next`, `tools`, phase rules), every effect
 * (`permit deny defer deny!` and the aliases `allow approve block reject`),
 * tool globs, conditions (`and or not && || !`, comparisons, `in`/`not in`,
 * `matches`, `contains`, `startsWith`/`starts_with`/`endsWith`, method forms,
 * every built-in function, `session.sum`/`session.count`, `var`s, bare names,
 * `time.*`, `principal.*`), clauses (`reason`, `notify`, `host`, `method`,
 * `path`, `port`, `query`, `header`), budgets, rate limits, egress, redaction,
 * `model_policy`, `model`, `session {}` limits, `delegate` grants (every
 * ceiling, scopes with bounds, ttl, max_depth), comments and every field
 * separator. Calls carry `delegation` now and then, and destinations in every
 * destination field, on the edges of host parsing. Most output
 * checks clean; some does not (e.g. an unconditional `deny!` overriding a
 * `permit`), which exercises the diagnostics path.
 */
import type { Call } from '@fms/runtime';

/** mulberry32: small seeded PRNG. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}
export type Rng = ReturnType<typeof rng>;

export const TOOLS = ['a/x', 'a/y', 'b/x', 'b/z', 'c', 'cd', 'a/x/y', 'http/get', 'stripe/refund', 'shell/exec', 'read_file'] as const;
const PATTERNS = [...TOOLS, 'a/*', 'b/*', '*', 'c*', '*/x', 'a/*/y', '*/*', 'http/*', 'stripe/*', 'read_*', 'shell/*'];
const STRS = ['usd', 'eur', 'x', 'admin', 'rm -rf', 'GET', 'POST', '', 'a.com', 'ops'];
const NUM_FIELDS = ['args.n', 'amount', 'args.o.k', 'recipients', 'time.hour', 'time.weekday', 'time.minute', 'args_array_len("l")', 'len(args.s)'];
const STR_FIELDS = ['args.s', 'cmd', 'currency', 'tool', 'tool_name', 'agent', 'model', 'host', 'method', 'path', 'principal.role', 'principal.id', 'args.o.k', 'query.q', 'headers.x-a'];
const ANY_FIELDS = ['args.n', 'args.s', 'args.l', 'args.missing', 'args.o', 'principal.groups'];
const VAR_NAMES = ['limit', 'blocked', 'prefix', 'api_host'];

function q(s: string, r: Rng): string {
  return r.chance(0.2) ? `'${s}'` : JSON.stringify(s);
}

function num(r: Rng): string {
  switch (r.int(6)) {
    case 0:
      return `$${r.int(500)}`;
    case 1:
      return `$${r.int(100)}.${r.int(10)}0`;
    case 2:
      return `${r.int(20) - 5}`;
    case 3:
      return `${r.int(10)}.5`;
    case 4:
      return `${r.int(3)}e2`;
    default:
      return `${r.int(24)}`;
  }
}

function strList(r: Rng): string {
  const n = r.int(4);
  return `[${Array.from({ length: n }, () => q(r.pick(STRS), r)).join(r.chance(0.5) ? ', ' : ' ')}]`;
}

/** A condition of at most `depth` levels of `and`/`or`/`not`. */
function cond(r: Rng, depth: number, vars: string[]): string {
  const k = depth <= 0 ? r.int(12) : r.int(18);
  switch (k) {
    case 0:
    case 1:
      return `${r.pick(NUM_FIELDS)} ${r.pick(['<', '<=', '>', '>=', '==', '!='])} ${vars.includes('limit') && r.chance(0.3) ? 'limit' : num(r)}`;
    case 2:
      return `${r.pick(STR_FIELDS)} ${r.pick(['==', '!='])} ${q(r.pick(STRS), r)}`;
    case 3:
      return `${r.pick([...STR_FIELDS, ...ANY_FIELDS])} ${r.pick(['in', 'not in'])} ${vars.includes('blocked') && r.chance(0.3) ? 'blocked' : strList(r)}`;
    case 4:
      return `${r.pick(STR_FIELDS)} matches ${q(r.pick(['^a', 'x', '(?i)usd|eur', '\\\\d+', 'rm\\\\s+-rf', '^/etc/']), r)}`;
    case 5:
      return `${r.pick(['args.l', 'args.s', 'principal.groups', 'cmd'])} contains ${q(r.pick(STRS), r)}`;
    case 6:
      return `${r.pick(STR_FIELDS)} ${r.pick(['startsWith', 'starts_with', 'endsWith', 'ends_with'])} ${vars.includes('prefix') && r.chance(0.3) ? 'prefix' : q(r.pick(STRS), r)}`;
    case 7:
      return `${r.pick(['args.s', 'cmd', 'path'])}.${r.pick(['starts_with', 'ends_with', 'startsWith', 'contains'])}(${q(r.pick(STRS), r)})`;
    case 8:
      switch (r.int(9)) {
        case 0:
          return `history_contains_within(${q(r.pick(PATTERNS), r)}, ${r.int(120)})`;
        case 1:
          return `history_tool_count(${q(r.pick(TOOLS), r)}) ${r.pick(['>', '<', '=='])} ${r.int(4)}`;
        case 2:
          return `deny_count_within(${r.int(100)}) > ${r.int(3)}`;
        case 3:
          return `history_sequence(${q(r.pick(TOOLS), r)}, ${q(r.pick(TOOLS), r)})`;
        case 4:
          return `args_array_contains("l", ${q(r.pick(STRS), r)})`;
        case 5:
          return `args_array_any_match("l", ${q(r.pick(['^u', 'x$', '(?i)EUR']), r)})`;
        case 6:
          return `${r.chance(0.5) ? 'not ' : ''}purpose(${q(r.pick(['support', 'billing']), r)})`;
        case 7:
          return `session.sum(${r.pick(['stripe/refund', 'a/x'])}.n, window=${r.pick(['1h', '30m', '"2h"'])}) > ${num(r)}`;
        default:
          return `session.count(${r.pick(PATTERNS.filter((p) => !p.includes('*')))}, window=${r.pick(['1h', '5m'])}) >= ${r.int(5)}`;
      }
    case 9:
      return r.pick(['true', 'false', 'args.flag == true', 'args.missing == nil', 'principal.admin == true']);
    case 10:
      return `amount ${r.pick(['<', '>'])} ${num(r)}`;
    case 11:
      return `${r.pick(['currency', 'args.s'])} == ${q(r.pick(STRS), r)}`;
    case 12:
    case 13:
      return `${cond(r, depth - 1, vars)} ${r.pick(['and', '&&'])} ${cond(r, depth - 1, vars)}`;
    case 14:
    case 15:
      return `${cond(r, depth - 1, vars)} ${r.pick(['or', '||'])} ${cond(r, depth - 1, vars)}`;
    case 16:
      return `${r.pick(['not ', '!'])}(${cond(r, depth - 1, vars)})`;
    default:
      return `(${cond(r, depth - 1, vars)})`;
  }
}

const EFFECTS = ['permit', 'permit', 'deny', 'defer', 'deny!', 'allow', 'approve', 'block', 'reject'] as const;

function rule(r: Rng, vars: string[], indent: string, small = false): string {
  const eff = r.pick(EFFECTS);
  const tool = r.chance(0.1) ? JSON.stringify(r.pick(PATTERNS)) : r.pick(PATTERNS);
  const parts = [eff, tool];
  // Mostly conditional deny!: an unconditional one makes every permit it covers an error (FMS2011).
  if (r.chance(eff === 'deny!' ? 0.9 : 0.6)) parts.push(`${r.pick(['if', 'when'])} ${cond(r, r.int(small ? 2 : 3), vars)}`);
  if (r.chance(0.08)) parts.push(`host ${vars.includes('api_host') && r.chance(0.5) ? 'api_host' : r.pick(['api.a.com', '*.a.com', 'localhost'])}`);
  if (r.chance(0.06)) parts.push(`method${r.chance(0.5) ? ':' : ''} ${r.pick(['GET', 'POST', 'get'])}`);
  if (r.chance(0.06)) parts.push(`path ${r.pick(['/v1/*', '/x', '"/a b"'])}`);
  if (r.chance(0.04)) parts.push(`port ${r.pick(['443', '8080'])}`);
  if (r.chance(0.04)) parts.push(`query q=${r.pick(['1', 'x*', '"a b"'])}`);
  if (r.chance(0.04)) parts.push(`header${r.chance(0.5) ? 's' : ''} x-a=${r.pick(['1', 'b*'])}`);
  if (r.chance(0.2)) parts.push(`reason${r.chance(0.5) ? ':' : ''} ${q(r.pick(['because', 'policy says so', 'ask a human']), r)}`);
  if (r.chance(0.1)) parts.push(`notify${r.chance(0.5) ? ':' : ''} ${q(r.pick(['#ops', 'security']), r)}`);
  // Clauses in any order, sometimes on their own lines.
  const head = parts.slice(0, 2).join(' ');
  const rest = parts.slice(2);
  for (let i = rest.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [rest[i], rest[j]] = [rest[j]!, rest[i]!];
  }
  const sep = r.chance(0.15) ? `\n${indent}  ` : ' ';
  return [head, ...rest].join(sep);
}

function field(r: Rng, key: string, value: string): string {
  // `allow [..]` would start a rule (`allow` is an effect): lists after effect words need `=` or `:`.
  if (value.startsWith('[') && (key === 'allow' || key === 'deny')) return `${key}${r.pick([' = ', ': '])}${value}`;
  return `${key}${r.pick([' ', ' = ', ': '])}${value}`;
}

function agentBlock(r: Rng, id: string, ids: string[], small: boolean): string {
  const lines: string[] = [];
  const ind = '  ';
  const vars: string[] = [];
  if (r.chance(0.85)) lines.push(ind + field(r, 'default', r.pick(['deny', 'permit', 'defer', 'allow', 'block', 'approve', 'reject'])));
  if (r.chance(0.4)) lines.push(ind + field(r, 'model', q(r.pick(['gpt-4o', 'claude-3', 'gpt-3.5']), r)));
  if (r.chance(0.1)) lines.push(ind + field(r, 'framework', q('langchain', r)));
  if (r.chance(small ? 0.1 : 0.3)) {
    for (const v of VAR_NAMES) {
      if (!r.chance(0.5)) continue;
      vars.push(v);
      const val = v === 'limit' ? num(r) : v === 'blocked' ? strList(r) : v === 'prefix' ? q('/tmp', r) : q('api.a.com', r);
      lines.push(`${ind}var ${v}${r.pick([' = ', ' ', ': '])}${val}`);
    }
  }
  if (r.chance(0.15)) lines.push(`${ind}# rules of ${id}`);
  const n = r.int(small ? 4 : 7);
  if (n > 0) {
    if (r.chance(0.7)) {
      lines.push(`${ind}rules {`);
      for (let i = 0; i < n; i++) lines.push(`${ind}  ${rule(r, vars, ind + '  ', small)}`);
      lines.push(`${ind}}`);
    } else for (let i = 0; i < n; i++) lines.push(`${ind}${rule(r, vars, ind, small)}`);
  }
  if (r.chance(0.15)) {
    const withNext = r.chance(0.6);
    lines.push(`${ind}phase init {`);
    if (r.chance(0.7)) lines.push(`${ind}  ${field(r, 'duration', r.pick(['5m', '1h', '30s', '"2h"']))}`);
    if (withNext) lines.push(`${ind}  ${field(r, 'next', q('work', r))}`);
    if (r.chance(0.5)) lines.push(`${ind}  ${field(r, 'tools', `[${q(r.pick(PATTERNS), r)}]`)}`);
    lines.push(`${ind}  ${rule(r, vars, ind + '  ')}`);
    lines.push(`${ind}}`);
    if (withNext) lines.push(`${ind}phase work {\n${ind}  ${rule(r, vars, ind + '  ')}\n${ind}}`);
  }
  if (r.chance(0.3)) lines.push(`${ind}rate_limit ${q(r.pick(['*', 'a/*', 'c', 'stripe/refund']), r)}${r.chance(0.5) ? ':' : ''} ${1 + r.int(5)} per ${r.pick(['second', 'minute', 'hour', 'day', 'minutes'])}`);
  if (r.chance(0.3)) {
    const bid = r.pick(['daily', 'session', 'ops']);
    const f: string[] = [];
    if (r.chance(0.7)) f.push(field(r, 'max', `$${1 + r.int(50)}`));
    if (r.chance(0.4)) f.push(field(r, 'max_calls', `${1 + r.int(8)}`));
    if (r.chance(0.4)) f.push(field(r, 'warn_at', r.pick(['0.5', '0.8', '1'])));
    if (r.chance(0.2)) f.push(field(r, 'daily', `$${5 + r.int(20)}`));
    if (r.chance(0.6)) f.push(field(r, 'on_exceed', r.pick(['deny', 'defer', 'audit'])));
    lines.push(`${ind}budget ${bid} {${f.length ? `\n${f.map((x) => `${ind}  ${x}`).join('\n')}\n${ind}` : ' '}}`);
  }
  if (r.chance(0.25)) {
    lines.push(`${ind}egress {`);
    lines.push(`${ind}  ${field(r, 'allow', `[${r.chance(0.7) ? q('*.a.com', r) : ''}${r.chance(0.3) ? ', "b.com"' : ''}${r.chance(0.2) ? ', "127.0.0.1", "[::1]"' : ''}]`.replace('[, ', '['))}`);
    if (r.chance(0.5)) lines.push(`${ind}  ${field(r, 'deny', r.pick(['["evil.a.com"]', '["evil.a.com", "127.0.0.1"]', '["*.evil.test", "[::1]"]']))}`);
    lines.push(`${ind}}`);
  }
  if (r.chance(0.2)) lines.push(`${ind}model_policy {\n${ind}  ${field(r, 'allow', '["gpt-*", "claude-3"]')}\n${r.chance(0.5) ? `${ind}  ${field(r, 'deny', '["gpt-3.5"]')}\n` : ''}${ind}}`);
  if (r.chance(0.2)) lines.push(`${ind}redact ${r.pick(['a/*', 'stripe/refund', '*'])} args${r.chance(0.5) ? ':' : ''} [${q('s', r)}${r.chance(0.5) ? ', "o.k"' : ''}]`);
  if (r.chance(0.15)) {
    // `session {}` limits: any subset of the four.
    const f: string[] = [];
    if (r.chance(0.6)) f.push(field(r, 'max_calls', `${1 + r.int(6)}`));
    if (r.chance(0.4)) f.push(field(r, 'max_cost', `$${1 + r.int(15)}`));
    if (r.chance(0.3)) f.push(field(r, 'max_duration', r.pick(['30s', '2m', '"1h"'])));
    if (r.chance(0.3)) f.push(field(r, 'idle_timeout', r.pick(['3s', '10s', '"1m"'])));
    if (f.length === 0) f.push(field(r, 'max_calls', '3'));
    lines.push(`${ind}session {\n${f.map((x) => `${ind}  ${x}`).join('\n')}\n${ind}}`);
  }
  if (r.chance(ids.length > 1 ? 0.3 : 0.1)) {
    // `delegate` grants: to one agent (label, `target_agent`, `to`) or to every agent.
    const f: string[] = [];
    const how = r.int(4);
    const target = r.pick(ids);
    if (how === 1) f.push(field(r, 'target_agent', q(target, r)));
    if (how === 2) f.push(field(r, 'to', q(target, r)));
    if (r.chance(0.6)) f.push(field(r, 'scope', q(r.pick(['stripe/refund:amount<=300', 'stripe/*:amount>10', 'a/*', '*', 'http/*', 'b/x:n>=2', 'c*']), r)));
    if (r.chance(0.4)) f.push(field(r, 'ttl', r.pick(['5s', '30s', '1h'])));
    if (r.chance(0.6)) f.push(field(r, 'ceiling', r.pick(['permit', 'defer', 'deny', 'inherited', 'inherited'])));
    if (r.chance(0.3)) f.push(field(r, 'max_depth', `${1 + r.int(2)}`));
    lines.push(`${ind}delegate${how === 0 ? ` ${target}` : ''} {${f.length ? `\n${f.map((x) => `${ind}  ${x}`).join('\n')}\n${ind}` : ' '}}`);
  }
  const name = r.chance(0.3) ? JSON.stringify(id) : id;
  return `agent ${name} {\n${lines.join('\n')}\n}`;
}

/** Names of `Object.prototype` (and friends): a word table that is a plain object would find them. */
export const HOST_NAMES = [...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__', 'prototype'])];

/**
 * An agent made to sit on an edge the checker must see: host-language names
 * in word positions, limits of the pack format just inside or outside, long
 * chains, deep nesting, escapes and numbers with no UTF-8 or finite form.
 */
function edgeAgent(r: Rng): string {
  const h = r.pick(HOST_NAMES);
  const body = ((): string => {
    switch (r.int(17)) {
      case 0:
        return `default ${h}`;
      case 1:
        return `default deny\n  rules { permit t if ${h} == "y" }`;
      case 2:
        return `default deny\n  var ${h} = "y"\n  rules { permit t if args.k == ${h} }`;
      case 3:
        return `default deny\n  rules { ${r.pick(['permit', 'deny'])} ${h} }\n  budget ${h} { max $5 on_exceed ${r.pick(['deny', h])} }`;
      case 4:
        return `default deny\n  ${h} = 1\n  rules { permit t if args.${h}.x == 1 or principal.${h} == 2 }`;
      case 5:
        return `default deny\n  rate_limit "t": 1 per ${r.pick(['minute', h])}\n  phase ${h} { permit t }`;
      case 6: {
        const n = r.pick([50, 400, 2500]);
        return `default deny\n  rules { permit t if ${Array.from({ length: n }, (_, i) => `args.x${i % 50} == ${i}`).join(r.pick([' and ', ' or ', ' && ']))} }`;
      }
      case 7: {
        const n = r.pick([30, 63, 64, 65, 300, 3000]);
        return `default deny\n  rules { permit t if ${'('.repeat(n)}args.x == 1${')'.repeat(n)} }`;
      }
      case 8:
        return `default deny\n  rules { permit t if ${'not '.repeat(r.pick([2, 61, 65, 2000]))}args.x == 1 }`;
      case 9:
        return `default deny\n  rules { permit t if args.s == "${r.pick(['\\ud800', '\\udfff', '\\ud83d\\ude00', '\\u00e9', '\\n'])}" }`;
      case 10:
        return `default deny\n  rules { permit t if args.n < ${r.pick(['1e999', '1e308', '-1e999', '1e300'])} }\n  budget b { max $${r.pick(['1', '9'.repeat(400)])} }`;
      case 11:
        return `default deny\n${Array.from({ length: r.pick([3, 1024, 1025]) }, (_, i) => `  phase p${i} { permit t${i % 7} }`).join('\n')}`;
      case 12: {
        const n = r.pick([10, 63, 64, 65]);
        return `default deny\n  rules { permit t if args.x in [${Array.from({ length: n }, (_, i) => `args.v${i}`).join(', ')}] }`;
      }
      case 13:
        return `default deny\n  budget b { max_calls ${r.pick(['4294967295', '4294967296', '10'])} }\n  rate_limit "t": ${r.pick(['4294967295', '4294967296', '3'])} per minute`;
      case 14: {
        const n = r.pick([10, 64, 65]);
        return `default deny\n  rules { permit t if args.${Array.from({ length: n }, (_, i) => `s${i}`).join('.')} == 1 }`;
      }
      case 15:
        return `default deny\n  phase p { duration ${r.pick(['-5s', '0s', '5m'])}\n    tools [${r.pick(['""', '"a/*"', '"a//b"'])}]\n    permit t }\n  budget b { max ${r.pick(['-5', '$0', '$5'])} daily ${r.pick(['-1', '$3'])} }`;
      default:
        return `default deny\n  model "${h}"\n  model_policy { allow = ["${h}"] }\n  egress { allow = ["${h}.com"] }\n  redact t args: ["${h}", "${h}.x"]`;
    }
  })();
  return `agent ${r.chance(0.5) ? JSON.stringify(h) : 'edge'} {\n  ${body}\n}`;
}

/** A generated policy: its source and the agent ids it declares. */
export interface GeneratedPolicy {
  seed: number;
  source: string;
  agents: string[];
}

/**
 * A random policy for `seed`. `small` keeps it to a few rules (the pipeline
 * fuzz runs tens of thousands of them); every construct still appears.
 */
export function genPolicy(seed: number, opts: { small?: boolean; edges?: number } = {}): GeneratedPolicy {
  const small = opts.small ?? false;
  const r = rng(seed);
  // Now and then, one agent on an edge of the language or of the pack format.
  if (r.chance(opts.edges ?? 0.03)) {
    const src = edgeAgent(r);
    const id = /^agent (?:"((?:[^"\\]|\\.)*)"|(\w+))/.exec(src);
    return { seed, source: src + '\n', agents: [id?.[1] ?? id?.[2] ?? 'edge'] };
  }
  const parts: string[] = [];
  if (r.chance(0.3)) parts.push(`# generated policy ${seed}`);
  if (r.chance(0.1)) parts.push('runtime {\n  mode = "enforce"\n}');
  if (r.chance(0.1)) {
    // Flat rules only: one implicit agent called `default`.
    if (r.chance(0.5)) parts.push(`agent {\n  default ${r.pick(['deny', 'permit'])}\n}`);
    for (let i = 0, n = 1 + r.int(small ? 2 : 4); i < n; i++) parts.push(rule(r, [], '', small));
    return { seed, source: parts.join('\n\n') + '\n', agents: ['default'] };
  }
  const ids = Array.from({ length: 1 + r.int(small ? (r.chance(0.2) ? 2 : 1) : 3) }, (_, i) => r.pick(['bot', 'ag', 'support-bot', 'ops']) + i);
  for (const id of ids) parts.push(agentBlock(r, id, ids, small));
  if (r.chance(0.15)) parts.push(rule(r, [], '', small));
  return { seed, source: parts.join(r.chance(0.5) ? '\n\n' : '\n') + '\n', agents: ids };
}

function argValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 2 ? 6 : 9)) {
    case 0:
      return r.int(20) - 5;
    case 1:
      return r.int(1000) / 10;
    case 2:
    case 3:
      return r.pick(STRS);
    case 4:
      return r.chance(0.5);
    case 5:
      return null;
    case 6:
      return [argValue(r, depth + 1), argValue(r, depth + 1)];
    case 7:
      return { k: argValue(r, depth + 1) };
    default:
      return [r.pick(STRS), r.pick(STRS)];
  }
}

const HOSTILE_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];

/** Argument fields that may carry a network destination (and `address`, which does not). */
const DEST_FIELDS = ['uri', 'href', 'endpoint', 'base_url', 'baseUrl', 'hostname', 'domain', 'urls', 'hosts', 'address'];
/** Destinations on the edges of parsing: case, trailing dots, userinfo, ports, numeric and IPv6 hosts, look-alikes. */
const DESTS: readonly unknown[] = [
  'https://x.a.com/v1',
  'https://API.A.COM./x',
  'x.a.com',
  'b.com:8443',
  'evil.a.com',
  'https://x.a.com@evil.test/',
  'https://evil.test\\@x.a.com/',
  'http://127.0.0.1:8080/',
  '127.0.0.1',
  'http://0x7f.1/',
  'http://2130706433/',
  'http://[::1]:80/',
  'http://[::ffff:127.0.0.1]/',
  '[::1]',
  'https://ex\u0430mple.com/',
  'https://xn--80ak6aa92e.com/',
  'ftp://b.com/x',
  '//b.com/x',
  'b.com:0',
  'b.com:65536',
  'a..com',
  '-a.com',
  'https://%62.com/',
  'https:/x.a.com',
  'api.a.com:443:1',
  '',
  ' b.com',
  5,
  null,
  ['https://b.com/', 'https://x.a.com/'],
  ['x.a.com', ['nested']],
  [],
];

/** A random call against `p`; `hostile` adds prototype names, wrong types and odd shapes. */
export function genCall(r: Rng, p: GeneratedPolicy, hostile = false): Call {
  const args: { [k: string]: unknown } = {};
  if (r.chance(0.6)) args['n'] = r.chance(0.85) ? r.int(20) - 5 : argValue(r);
  if (r.chance(0.6)) args['s'] = r.chance(0.85) ? r.pick(STRS) : argValue(r);
  if (r.chance(0.4)) args['amount'] = r.chance(0.9) ? r.int(600) : r.pick(['5000', [1], null]);
  if (r.chance(0.3)) args['currency'] = r.pick(['usd', 'eur', 'USD']);
  if (r.chance(0.3)) args['cmd'] = r.pick(['ls', 'rm -rf /', 'cat /etc/passwd']);
  if (r.chance(0.3)) args['l'] = [r.pick(STRS), r.pick(STRS), r.int(10)];
  if (r.chance(0.2)) args['o'] = { k: r.chance(0.5) ? r.pick(STRS) : r.int(9) };
  if (r.chance(0.3)) args['url'] = r.pick(['https://x.a.com/v1/p?q=1', 'http://evil.a.com/x', 'https://b.com:443/x', 'not a url', 'https://api.a.com:8080/v1/x']);
  if (r.chance(0.1)) args['host'] = r.pick(['api.a.com', 'b.com', 5]);
  if (r.chance(0.2)) args['method'] = r.pick(['get', 'POST']);
  if (r.chance(0.1)) args['path'] = r.pick(['/v1/x', '/etc/passwd', ['/etc']]);
  if (r.chance(0.1)) args['headers'] = { 'X-A': r.pick(['1', 'b2']) };
  if (r.chance(0.1)) args['recipients'] = [r.pick(STRS), r.pick(STRS)];
  if (r.chance(0.2)) args['purpose'] = r.pick(['support', 'billing']);
  if (r.chance(0.1)) args['flag'] = r.chance(0.5);
  if (r.chance(0.25)) args[r.pick(DEST_FIELDS)] = r.pick(DESTS);
  const agent = r.chance(0.08) ? r.pick(['nobody', 'Bot0', ...(hostile ? HOSTILE_KEYS : [])]) : r.pick(p.agents);
  const tool = r.chance(0.1) ? r.pick(['zzz', 'a', 'a/x/y/z', ...(hostile ? HOSTILE_KEYS : [])]) : r.pick(TOOLS);
  const c: Call = { agent, tool, args, session: r.pick(['s1', 's2']) };
  if (r.chance(0.3)) c.principal = { role: r.pick(['admin', 'user']), ...(r.chance(0.3) ? { groups: ['ops'] } : {}), ...(r.chance(0.2) ? { id: 'u1' } : {}) };
  if (r.chance(0.4)) c.cost = r.int(5);
  if (r.chance(0.3)) c.model = r.pick(['gpt-4o', 'gpt-3.5', 'claude-3', 'other']);
  if (r.chance(0.25)) {
    // A call relayed under another agent's delegation (sometimes by itself, an unknown agent, or a long chain).
    const by = r.chance(0.9) ? r.pick(p.agents) : r.pick(['nobody', '']);
    c.delegation = r.chance(0.6) ? { by } : { by, depth: r.pick([1, 2, 3]) };
  }
  if (hostile) {
    if (r.chance(0.1)) (c as unknown as { [k: string]: unknown })['delegation'] = r.pick([null, [], 'lead', { by: 5 }, { by: p.agents[0], depth: 0 }, { by: p.agents[0], depth: 1.5 }, { by: p.agents[0], depth: '1' }]);
    for (const k of HOSTILE_KEYS) {
      if (r.chance(0.2)) Object.defineProperty(args, k, { value: argValue(r), enumerable: true, writable: true, configurable: true });
    }
    if (r.chance(0.1)) (c as unknown as { [k: string]: unknown })['principal'] = r.pick([[], 'x', { groups: 'ops' }]);
    if (r.chance(0.05)) (c as unknown as { [k: string]: unknown })['cost'] = r.pick([-1, Infinity, 'x']);
    if (r.chance(0.05)) (c as unknown as { [k: string]: unknown })['args'] = r.pick([[], 'x', null]);
  }
  return c;
}

/** Pieces the mutator inserts: punctuation, keywords, odd literals and characters. */
export const PIECES = ['{', '}', '(', ')', '[', ']', '"', "'", '=', ':', ',', '!', '$', '#', '\n', '\\\n', ' ', 'deny!', 'permit', 'if', 'when', 'not', 'in', 'and', '||', '&&', '==', '<=', 'rate_limit', 'per', 'redact', 'args', 'import', 'as', 'var', 'manifest', 'agent', 'rules', '*', '/', '.', '1e3', '$5', '10mb', 'ed25519:AAAA', 'env(', '...', '<x>', '\u0000', '\u00e9', '\ud83d\ude00', 'toString', '__proto__', 'constructor', '1e999', '\\ud800'];

/** One mutation: delete, insert, duplicate or swap a run of characters, or delete a whole token. */
export interface Mutation {
  kind: 'delete' | 'insert' | 'swap' | 'duplicate' | 'tokenDelete';
  at: number;
  len: number;
  piece: string;
  other: number;
}

/** A random mutation (for callers without fast-check). */
export function genMutation(r: Rng): Mutation {
  return { kind: r.pick(['delete', 'insert', 'swap', 'duplicate', 'tokenDelete'] as const), at: r.int(1 << 30), len: 1 + r.int(12), piece: r.pick(PIECES), other: r.int(1 << 30) };
}

/** Applies mutations to a text, in order. */
export function mutate(text: string, muts: readonly Mutation[]): string {
  let t = text;
  for (const m of muts) {
    const at = t.length ? m.at % (t.length + 1) : 0;
    switch (m.kind) {
      case 'delete':
        t = t.slice(0, at) + t.slice(at + m.len);
        break;
      case 'insert':
        t = t.slice(0, at) + m.piece + t.slice(at);
        break;
      case 'duplicate':
        t = t.slice(0, at) + t.slice(at, at + m.len) + t.slice(at);
        break;
      case 'swap': {
        const b = t.length ? m.other % (t.length + 1) : 0;
        const [x, y] = at < b ? [at, b] : [b, at];
        t = t.slice(0, x) + t.slice(y, y + m.len) + t.slice(x + m.len, y) + t.slice(x, x + m.len) + t.slice(y + m.len);
        break;
      }
      case 'tokenDelete': {
        const words = t.split(/(\s+)/);
        if (words.length) words.splice(m.other % words.length, 1);
        t = words.join('');
        break;
      }
    }
  }
  return t;
}
