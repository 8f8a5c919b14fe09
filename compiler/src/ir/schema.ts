/**
 * What may appear where. Blocks with an open schema (`provider`, `identity`,
 * `ambient`, `use`) accept any field; the others list their fields, so a typo
 * gets a did-you-mean.
 */

import { table } from '../util/table';

export type FieldKind = 'string' | 'number' | 'bool' | 'duration' | 'money' | 'list' | 'any' | 'size';

export interface BlockSchema {
  /** Known fields and their kinds; `open` accepts any field. */
  fields: Readonly<Record<string, FieldKind>>;
  open?: boolean;
  /** Enumerated values per field. */
  enums?: Readonly<Record<string, string[]>>;
}

export const TOP_LEVEL_BLOCKS = ['runtime', 'provider', 'identity', 'trust', 'system', 'agent', 'pack'];

export const AGENT_BLOCKS = [
  'rules',
  'budget',
  'phase',
  'egress',
  'model_policy',
  'session',
  'spawn',
  'completion_gate',
  'enforcement',
  'alert',
  'delegate',
  'ambient',
  'credential',
  'selector',
  'use',
];

export const AGENT_FIELDS = ['default', 'model', 'framework', 'version'];

export const EFFECT_WORDS: Readonly<Record<string, 'permit' | 'deny' | 'defer'>> = table({
  permit: 'permit',
  allow: 'permit',
  approve: 'permit',
  deny: 'deny',
  block: 'deny',
  reject: 'deny',
  defer: 'defer',
});

export const WINDOWS = ['second', 'minute', 'hour', 'day'];

const SCHEMA_SOURCE: Record<string, BlockSchema> = {
  runtime: {
    fields: {
      mode: 'string',
      wal_dir: 'string',
      wal_retention: 'duration',
      backend: 'string',
      postgres_url: 'string',
      socket: 'string',
      http_listen: 'string',
      http_upstream: 'string',
      tls_cert_file: 'string',
      tls_key_file: 'string',
      mcp_proxy_port: 'number',
      cold_start_deny_window: 'duration',
      os_tier: 'bool',
      strip_ambient_credentials: 'bool',
      strip_env: 'list',
      immutable_config: 'bool',
      agent_enforce_profile: 'string',
      supervised_command: 'string',
      budget_backend: 'string',
    },
    enums: {
      mode: ['enforce', 'audit', 'shadow'],
      backend: ['sqlite', 'postgres', 'memory'],
      agent_enforce_profile: ['full', 'minimal', 'off'],
    },
  },
  provider: { fields: { type: 'string' }, open: true },
  identity: { fields: { type: 'string' }, open: true },
  trust: { fields: { key: 'any', spiffe_federated: 'string', bundle_url: 'string' } },
  system: {
    fields: { version: 'string', on_policy_load_failure: 'string', kill_switch_default: 'string', max_output_bytes: 'number' },
    enums: { on_policy_load_failure: ['deny_all', 'permit_all', 'last_good'] },
  },
  pack: { fields: { version: 'string', description: 'string' } },
  budget: {
    fields: {
      id: 'string',
      max: 'money',
      usd: 'money',
      daily: 'money',
      max_calls: 'number',
      warn_at: 'number',
      on_exceed: 'string',
      scope: 'string',
    },
    enums: { on_exceed: ['deny', 'defer', 'audit'] },
  },
  phase: { fields: { duration: 'duration', next: 'string', tools: 'list' } },
  egress: { fields: { allow: 'list', deny: 'list' } },
  model_policy: { fields: { allow: 'list', deny: 'list' } },
  session: { fields: { max_duration: 'duration', idle_timeout: 'duration', max_calls: 'number', max_cost: 'money' } },
  spawn: {
    fields: { max_concurrent: 'number', allowed_types: 'list', allow: 'list', max_depth: 'number' },
  },
  completion_gate: { fields: { require: 'string' } },
  enforcement: {
    fields: {
      profile: 'string',
      os_tier: 'bool',
      filesystem: 'string',
      fs_read: 'list',
      fs_write: 'list',
      fs_exec: 'list',
      net_connect: 'list',
      net_bind: 'list',
      syscalls_deny: 'list',
      syscalls_allow: 'list',
      landlock_min_abi: 'number',
      isolation: 'string',
      mcp_proxy_port: 'number',
    },
    enums: { profile: ['full', 'minimal', 'off'] },
  },
  alert: {
    fields: { on: 'string', notify: 'string' },
    enums: {
      on: ['deny', 'defer', 'permit', 'any', 'budget_warning', 'budget_exceeded', 'rate_exceeded', 'egress_denied', 'model_denied'],
    },
  },
  delegate: {
    fields: { target_agent: 'string', to: 'list', scope: 'string', ttl: 'duration', ceiling: 'string', inherits: 'list', max_depth: 'number' },
  },
  ambient: { fields: { on_exceed: 'string' }, open: true, enums: { on_exceed: ['deny', 'defer', 'audit'] } },
  credential: { fields: { scope: 'list', max_scope: 'string', backend: 'string', path: 'string', ttl: 'duration' } },
  selector: {
    fields: { source: 'string', cache: 'duration', on_unavailable: 'string', on_timeout: 'string' },
    enums: { on_unavailable: ['deny', 'permit', 'defer'], on_timeout: ['deny', 'permit', 'defer'] },
  },
  use: { fields: {}, open: true },
};

/** Block schemas; every table in them is null-prototype, so `toString` is never a known block, field or enum. */
export const SCHEMAS: Readonly<Record<string, BlockSchema>> = table(
  Object.fromEntries(
    Object.entries(SCHEMA_SOURCE).map(([k, b]) => [
      k,
      Object.freeze({ ...b, fields: table(b.fields), ...(b.enums ? { enums: table(b.enums) } : {}) }),
    ]),
  ),
);

/** Field names whose literal values look like secrets in `provider` / `identity` blocks. */
export const SECRET_FIELDS = /^(token|secret|client_secret|password|passwd|api_key|apikey|pin|secret_key|access_key|secret_access_key|private_key|hec_token)$/;

const UNIT_SECONDS = table<number>({ ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 });
const UNIT_BYTES = table<number>({ b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 });

/** Seconds of a duration written as a number with unit or a string like `"48h"`; undefined if not one. */
export function durationSeconds(value: number, unit: string | undefined): number | undefined {
  if (unit === undefined) return undefined;
  const f = UNIT_SECONDS[unit];
  return f === undefined ? undefined : value * f;
}

export function parseDurationString(s: string): number | undefined {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(s);
  return m ? durationSeconds(Number(m[1]), m[2]) : undefined;
}

export function sizeBytes(value: number, unit: string | undefined): number | undefined {
  if (unit === undefined) return undefined;
  const f = UNIT_BYTES[unit];
  return f === undefined ? undefined : value * f;
}
