// Issue 12: one server, several packs (`--tenant NAME=PACK`): each tenant is
// bound to the trust file's deployment of its name (its expected pack name),
// has its own state, approvals and log; one tenant's reload or refusal never
// touches another's; a request must name a tenant that exists.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emitPackBody } from '@fms/compiler';
import { startDaemon } from '../../../runtime/src/cli/commands/serve';
import { adminRequest } from '../../../runtime/src/daemon/client';
import { agent, policy, rule } from '../../helpers/ir-builder';
import { makePack } from '../trust/fixtures';
import { exchange, setup, testBody } from './fixtures';

test('tenants: separate packs, bindings, approvals and logs; a refusal for one leaves the other serving', async () => {
  const s = await setup('fms-tenants-');
  const trust = JSON.parse(readFileSync(s.trustPath, 'utf8')) as { [k: string]: unknown };
  trust['deployments'] = { alpha: { expected_name: 'acme/alpha' }, beta: { expected_name: 'acme/beta' } };
  writeFileSync(s.trustPath, JSON.stringify(trust));
  const write = async (file: string, name: string, serial: number, body: Uint8Array): Promise<string> => {
    const p = join(s.dir, file);
    writeFileSync(p, await makePack(s.packKey, { name, serial, body, createdAt: new Date(Date.now() - 60_000) }));
    return p;
  };
  const pa = await write('a.fmspack', 'acme/alpha', 1, testBody());
  const pb = await write('b.fmspack', 'acme/beta', 1, emitPackBody(policy(agent('bot', [rule('permit', '*', { line: 30 })]))));
  const socket = join(s.dir, 't.sock');
  const admin = `${socket}.admin`;
  const log = join(s.dir, 't.log');
  // a tenant whose pack is not the deployment's name is refused at start
  const swapped = startDaemon(undefined, { socket, trust: s.trustPath, state: false, tenant: [`alpha=${pb}`, `beta=${pb}`] }, () => {});
  await swapped.then(
    () => assert.unreachable('started with a wrongly named tenant pack'),
    (e: Error) => assert.match(e.message, /tenant `alpha`: refused .*this host expects `acme\/alpha`/),
  );
  for (const bad of [['=x'], ['a b=x'], ['alpha'], ['alpha=x', 'alpha=y']]) {
    await startDaemon(undefined, { socket, trust: s.trustPath, state: false, tenant: bad }, () => {}).then(
      () => assert.unreachable(String(bad)),
      (e: Error) => assert.match(e.message, /--tenant/),
    );
  }
  const server = await startDaemon(undefined, { socket, trust: s.trustPath, state: false, tenant: [`alpha=${pa}`, `beta=${pb}`], log }, () => {});
  type A = { id: number; decision?: { effect: string; rule_ref: string; approval_id?: string }; error?: { code: string; message: string } };
  const ask = async (req: object): Promise<A> => ((await exchange(socket, JSON.stringify({ id: 1, agent: 'bot', ...req }) + '\n', 1)) as A[])[0]!;
  try {
    assert.is((await ask({ tenant: 'alpha', tool: 'write/x' })).decision!.effect, 'deny');
    assert.is((await ask({ tenant: 'beta', tool: 'write/x' })).decision!.effect, 'permit');
    for (const t of [undefined, 'gamma', '__proto__', 'toString', '']) {
      const r = await ask(t === undefined ? { tool: 'x' } : { tenant: t, tool: 'x' });
      assert.is(r.error?.code, 'INVALID_REQUEST', String(t));
    }
    // approvals are per tenant
    const d = (await ask({ tenant: 'alpha', tool: 'pay/x' })).decision!;
    assert.is(d.effect, 'defer');
    assert.not.ok((await adminRequest(admin, { op: 'approve', id: d.approval_id!, tenant: 'beta' })).ok);
    assert.ok((await adminRequest(admin, { op: 'approve', id: d.approval_id!, tenant: 'alpha' })).ok);
    assert.is((await ask({ tenant: 'alpha', tool: 'pay/x', approval_id: d.approval_id })).decision!.effect, 'permit');
    // beta gets a wrongly named pack: refused for beta only
    await write('b.fmspack', 'acme/alpha', 2, emitPackBody(policy(agent('bot', [rule('deny', '*', { line: 31 })]))));
    const r = await adminRequest(admin, { op: 'reload', tenant: 'beta' });
    assert.not.ok(r.ok);
    assert.match(String(r.error), 'expects `acme/beta`');
    assert.is((await ask({ tenant: 'beta', tool: 'write/x' })).decision!.rule_ref, 'governance.fms:30');
    assert.is((await ask({ tenant: 'alpha', tool: 'read/x' })).decision!.effect, 'permit');
    const st = await adminRequest(admin, { op: 'status' });
    assert.ok(st['ready']);
    assert.equal(Object.keys(st['tenants'] as object).sort(), ['alpha', 'beta']);
  } finally {
    await server.close();
  }
  const la = readFileSync(`${log}.alpha`, 'utf8');
  const lb = readFileSync(`${log}.beta`, 'utf8');
  assert.match(la, '"tool":"pay/x"');
  assert.not.match(lb, '"tool":"pay/x"');
  assert.match(lb, '"type":"pack-refused"');
  assert.not.match(la, '"type":"pack-refused"');
});

test.run();
