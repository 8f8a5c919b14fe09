// Issue 12 acceptance on a spawned `fms-run serve` (Unix socket only,
// bounded in time and count; the throughput test is load.test.ts): 32
// concurrent pipelining clients with no lost, duplicated or reordered
// answers during reloads under load (SIGHUP; a tampered pack is refused while the
// old one serves; no answer from a half-loaded pack), SIGKILL mid-write then
// a restart that continues the chain, and `fms-run exec` serving its child.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, emitPackBody } from '@fms/compiler';
import { DecisionClient, type DecisionResponse } from '../../../runtime/src/daemon/client';
import { verifyLog } from '../../../runtime/src/daemon/log-verify';
import { loadTrustRoots } from '../../../runtime/src/trust/trust-roots';
import { runCli } from '../../compiler/sign/cli';
import { ROOT } from '../../helpers/paths';
import { setup, spawnServe, testBody } from './fixtures';

function effectOf(r: DecisionResponse): string {
  if (!('decision' in r)) throw new Error(`error answer: ${JSON.stringify(r)}`);
  return r.decision.effect + ':' + r.decision.rule_ref;
}

test('reloads under load: 32 pipelining clients lose, duplicate and reorder nothing while packs are reloaded and refused', async () => {
  const s = await setup();
  const log = join(s.dir, 'load.log');
  const srv = await spawnServe(s, ['--log', log, '--log-key', `file:${s.logKeyPath}`, '--name', 'acme/payments']);
  try {
    // 32 pipelining clients, reloads in the middle
    const clients = await Promise.all(Array.from({ length: 32 }, () => DecisionClient.connect(srv.socket)));
    const PER = 1500;
    const WINDOW = 64;
    let done = 0;
    let hupped = 0;
    const seen: string[][] = clients.map(() => []);
    const run = async (ci: number): Promise<void> => {
      const cl = clients[ci]!;
      for (let base = 0; base < PER; base += WINDOW) {
        const ids = Array.from({ length: Math.min(WINDOW, PER - base) }, (_, k) => `${ci}-${base + k}`);
        const rs = await Promise.all(ids.map((id) => cl.decide({ id, agent: 'bot', tool: 'new/x' })));
        rs.forEach((r, k) => {
          assert.is(r.id, ids[k], 'in order, none lost or duplicated');
          seen[ci]!.push(effectOf(r));
        });
        done += ids.length;
        if (hupped === 0 && done > (PER * 32) / 3) {
          hupped = 1;
          await s.writePack({ serial: 2, body: testBody('new/*') });
          srv.child.kill('SIGHUP');
        } else if (hupped === 1 && done > (PER * 32 * 2) / 3 && srv.stderr().includes('reloaded pack')) {
          hupped = 2;
          const b = Buffer.from(await s.writePack({ serial: 3, body: testBody() }));
          b[b.length - 3] ^= 0x40; // tampered: the body no longer matches the signed digest
          writeFileSync(s.packPath, b);
          srv.child.kill('SIGHUP');
        }
      }
    };
    const t1 = process.hrtime.bigint();
    await Promise.all(clients.map((_, i) => run(i)));
    const psecs = Number(process.hrtime.bigint() - t1) / 1e9;
    process.stdout.write(`  pipelined: ${PER * 32} requests on 32 connections in ${psecs.toFixed(2)} s = ${Math.round((PER * 32) / psecs)}/s\n`);
    for (const c2 of clients) c2.close();
    if (hupped < 2) {
      for (let i = 0; i < 100 && !srv.stderr().includes('reloaded pack'); i++) await new Promise((r) => setTimeout(r, 50));
      const b = Buffer.from(await s.writePack({ serial: 3, body: testBody() }));
      b[b.length - 3] ^= 0x40;
      writeFileSync(s.packPath, b);
      srv.child.kill('SIGHUP');
    }
    const old = 'deny:governance.fms:1';
    const next = 'permit:governance.fms:12';
    let sawNew = 0;
    for (const [ci, list] of seen.entries()) {
      assert.is(list.length, PER);
      for (const e of list) assert.ok(e === old || e === next, `client ${ci}: an answer from neither pack: ${e}`);
      const firstNew = list.indexOf(next);
      if (firstNew >= 0) sawNew++;
      if (firstNew >= 0) assert.not.ok(list.slice(firstNew).includes(old), `client ${ci}: an old answer after the new pack served it`);
    }
    assert.ok(sawNew > 0, 'the reload happened under load');
    // the tampered pack was refused; the reloaded one still serves
    const c3 = await DecisionClient.connect(srv.socket);
    assert.is(effectOf(await c3.decide({ agent: 'bot', tool: 'new/x' })), next);
    c3.close();
    for (let i = 0; i < 100 && !srv.stderr().includes('pack refused'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(srv.stderr(), /pack refused: refused `[^`]+`: .*still serving `acme\/payments` serial 2/);
    srv.child.kill('SIGTERM');
    assert.is(await srv.exited, 0, srv.stderr());
    const v = verifyLog([log], loadTrustRoots(s.trustPath));
    assert.ok(v.ok, JSON.stringify(v.broken));
    assert.is(v.unsignedTail, null, 'SIGTERM wrote a final checkpoint');
    assert.ok(v.records > PER * 32);
    assert.not.match(readFileSync(log, 'utf8'), '"secret"', 'redacted args only');
  } finally {
    srv.child.kill('SIGKILL');
  }
});

test('SIGKILL mid-write: the verified prefix is intact and a restarted server continues the chain', async () => {
  const s = await setup();
  const log = join(s.dir, 'kill.log');
  const args = ['--log', log, '--log-key', `file:${s.logKeyPath}`, '--checkpoint-every', '50'];
  const srv = await spawnServe(s, args);
  const clients = await Promise.all(Array.from({ length: 4 }, () => DecisionClient.connect(srv.socket)));
  let stop = false;
  const blast = async (c: DecisionClient): Promise<void> => {
    try {
      while (!stop) await Promise.all(Array.from({ length: 32 }, () => c.decide({ agent: 'bot', tool: 'pay/x', args: { card: 'CARD-SECRET-XYZ', amount: 1 } })));
    } catch {
      /* the server died */
    }
  };
  const blasting = clients.map(blast);
  await new Promise((r) => setTimeout(r, 400));
  srv.child.kill('SIGKILL');
  await srv.exited;
  stop = true;
  await Promise.all(blasting);
  const trust = loadTrustRoots(s.trustPath);
  const before = verifyLog([log], trust);
  assert.ok(before.ok || before.broken!.reason.includes('torn'), JSON.stringify(before.broken));
  assert.ok(before.records > 50, `${before.records} records before the kill`);
  const srv2 = await spawnServe(s, args);
  const c = await DecisionClient.connect(srv2.socket);
  assert.is(effectOf(await c.decide({ agent: 'bot', tool: 'read/x' })), 'permit:governance.fms:10');
  c.close();
  srv2.child.kill('SIGTERM');
  assert.is(await srv2.exited, 0, srv2.stderr());
  const after = verifyLog([log], trust);
  assert.ok(after.ok, JSON.stringify(after.broken));
  assert.is(after.unsignedTail, null);
  assert.ok(after.lastSeq! > before.records, 'the chain continued');
  assert.not.match(readFileSync(log, 'utf8'), 'CARD-SECRET-XYZ');
  const ok = await runCli('fms-run', ['log', 'verify', log, '--trust', s.trustPath, '--require-signed']);
  assert.is(ok.code, 0, ok.stderr);
});

test('fms-run serve refuses a bad first pack (exit 3), an unavailable log key (exit 2, one line)', async () => {
  const s = await setup();
  await s.writePack({ signer: s.otherKey });
  const r = await runCli('fms-run', ['serve', s.packPath, '--socket', join(s.dir, 'x.sock'), '--trust', s.trustPath, '--no-state']);
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stderr, 'threshold');
  await s.writePack();
  for (const [uri, want] of [
    ['pkcs11:token=a;object=b', 'pkcs11 uri needs `module-path=`'],
    ['awskms://nokey', 'awskms uri must be'],
    ['ftp://x', 'unknown log key'],
    [`file:${join(s.dir, 'nope.pem')}`, 'cannot read log key'],
  ] as const) {
    const q = await runCli('fms-run', ['serve', s.packPath, '--socket', join(s.dir, 'y.sock'), '--trust', s.trustPath, '--no-state', '--log', join(s.dir, 'y.log'), '--log-key', uri]);
    assert.is(q.code, 2, uri);
    assert.match(q.stderr, want);
    assert.is(q.stderr.trim().split('\n').length, 1, q.stderr);
  }
});

const loader = join(ROOT, 'dist', 'fms-exec');
test('fms-run exec serves decisions to its child on FMS_SOCKET', async () => {
  if (!existsSync(loader)) {
    const b = spawnSync(process.execPath, [join(ROOT, 'runtime/scripts/build-native.mjs')], { encoding: 'utf8' });
    assert.is(b.status, 0, b.stderr);
  }
  const s = await setup();
  const r = compile('agent "bot" {\n  default deny\n  rules {\n    permit read/*\n  }\n  enforcement {\n    profile = "off"\n  }\n}\n', 'governance.fms', { env: {} });
  assert.equal(r.diagnostics.filter((d) => d.severity === 'error'), []);
  await s.writePack({ body: emitPackBody(r.ir!) });
  const script = `const n=require('node:net');const c=n.createConnection(process.env.FMS_SOCKET);c.on('data',d=>{process.stdout.write(d);c.end()});c.write(JSON.stringify({id:1,agent:'bot',tool:'read/x'})+'\\n')`;
  const q = await runCli('fms-run', ['exec', s.packPath, '--agent', 'bot', '--trust', s.trustPath, '--', process.execPath, '-e', script], { FMS_STATE_DIR: join(s.dir, 'state') });
  assert.is(q.code, 0, q.stderr);
  const ans = JSON.parse(q.stdout.trim()) as { id: number; decision: { effect: string } };
  assert.is(ans.id, 1);
  assert.is(ans.decision.effect, 'permit');
});

test.run();
