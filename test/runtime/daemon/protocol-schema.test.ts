// Issue 12: the committed JSON Schema of the decision protocol and the
// server's validation agree: on generated requests (valid, each field of a
// wrong type, unknown and prototype-named fields, `time`) parseRequest
// accepts exactly what the schema accepts, and every answer the server
// writes validates against the response schema.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { isRequestError, parseRequest } from '../../../runtime/src/daemon/protocol';
import { startDaemon } from '../../../runtime/src/cli/commands/serve';
import { ROOT } from '../../helpers/paths';
import { exchange, setup } from './fixtures';

type Schema = { [k: string]: unknown } | boolean;
const schema = JSON.parse(readFileSync(join(ROOT, 'runtime/schema/decision-protocol.schema.json'), 'utf8')) as { $defs: { [k: string]: Schema } };

/** A small validator for the keywords the protocol schema uses (written for this test, shares nothing with the server). */
function valid(s: Schema, v: unknown): boolean {
  if (s === true) return true;
  if (s === false) return false;
  const o = s as { [k: string]: unknown };
  if (typeof o['$ref'] === 'string') {
    const name = (o['$ref'] as string).replace('#/$defs/', '');
    if (!valid(schema.$defs[name]!, v)) return false;
  }
  if (o['type'] !== undefined) {
    const types = Array.isArray(o['type']) ? (o['type'] as string[]) : [o['type'] as string];
    const t = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
    const ok = types.some((x) => x === t || (x === 'integer' && typeof v === 'number' && Number.isInteger(v)) || (x === 'number' && typeof v === 'number' && Number.isFinite(v)));
    if (!ok) return false;
  }
  if (Array.isArray(o['enum']) && !(o['enum'] as unknown[]).includes(v)) return false;
  if (typeof o['minimum'] === 'number' && typeof v === 'number' && v < (o['minimum'] as number)) return false;
  if (typeof o['maximum'] === 'number' && typeof v === 'number' && v > (o['maximum'] as number)) return false;
  if (typeof o['maxLength'] === 'number' && typeof v === 'string' && v.length > (o['maxLength'] as number)) return false;
  if (Array.isArray(o['oneOf']) && (o['oneOf'] as Schema[]).filter((x) => valid(x, v)).length !== 1) return false;
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const obj = v as { [k: string]: unknown };
    const props = (o['properties'] ?? {}) as { [k: string]: Schema };
    for (const r of (o['required'] ?? []) as string[]) if (!Object.hasOwn(obj, r)) return false;
    for (const k of Object.keys(obj)) {
      if (Object.hasOwn(props, k)) {
        if (!valid(props[k]!, obj[k])) return false;
      } else if (o['additionalProperties'] === false) return false;
    }
  }
  return true;
}

const fieldValue = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double(),
  fc.constant(null),
  fc.boolean(),
  fc.constant({}),
  fc.constant({ a: 1 }),
  fc.constant([]),
  fc.constant('x'.repeat(300)),
  fc.constant(-1),
  fc.constant(0),
  fc.constant({ by: 'a' }),
  fc.constant({ by: 'a', depth: 2 }),
  fc.constant({ by: 'a', depth: 0 }),
  fc.constant({ by: 1 }),
  fc.constant({ by: 'a', extra: 1 }),
);
const fieldName = fc.constantFrom('id', 'agent', 'tool', 'args', 'principal', 'selectors', 'session', 'model', 'cost', 'delegation', 'approval_id', 'time', 'extra', '__proto__', 'toString', 'constructor');
const base = { id: 1, agent: 'bot', tool: 'read/x' };
const request = fc.tuple(fc.dictionary(fieldName, fieldValue, { maxKeys: 6 }), fc.subarray(['id', 'agent', 'tool'] as const)).map(([extra, drop]) => {
  const r = JSON.parse(JSON.stringify({ ...base, ...extra })) as { [k: string]: unknown };
  for (const k of drop) delete r[k];
  return r;
});

test('parseRequest accepts exactly what the schema accepts (generated requests)', () => {
  let n = 0;
  let accepted = 0;
  fc.assert(
    fc.property(request, (r) => {
      n++;
      const p = parseRequest(r);
      const server = !isRequestError(p) && !p.carriesTime;
      if (server) accepted++;
      return server === valid(schema.$defs['request']!, r);
    }),
    { numRuns: 3000, seed: 12 },
  );
  // JSON text with a `__proto__` key (JSON.parse makes it an own property)
  for (const text of ['{"id":1,"agent":"a","tool":"t","__proto__":{}}', '{"id":1,"agent":"a","tool":"t","time":5}', '{"id":1.5,"agent":"a","tool":"t"}']) {
    const v = JSON.parse(text);
    const p = parseRequest(v);
    assert.is(!isRequestError(p) && !p.carriesTime, valid(schema.$defs['request']!, v), text);
  }
  process.stdout.write(`  schema agreement: ${n} generated requests, ${accepted} accepted\n`);
  assert.ok(accepted > 50 && accepted < n - 50, 'both sides exercised');
});

test('every answer of the server validates against the response schema', async () => {
  const s = await setup();
  const socket = join(s.dir, 's.sock');
  const server = await startDaemon(s.packPath, { socket, trust: s.trustPath, state: false }, () => {});
  try {
    const reqs = fc.sample(request, { numRuns: 300, seed: 7 });
    const text = reqs.map((r) => JSON.stringify(r)).join('\n') + '\nnot json\n{"id":1,"agent":"bot","tool":"pay/x","args":{"card":"1"}}\n';
    const out = await exchange(socket, text, reqs.length + 2);
    for (const o of out) assert.ok(valid(schema.$defs['response']!, o), JSON.stringify(o));
  } finally {
    await server.close();
  }
});

test.run();
