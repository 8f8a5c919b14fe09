// Issue 12: the decision daemon in-process (the same startDaemon `fms-run serve` runs):
// protocol errors keep the connection working, the server's clock only,
// readiness, socket permissions, approvals over the admin socket, reloads
// that refuse tampered, older or wrongly named packs while the old pack serves.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { DecisionLog } from '../../../runtime/src/daemon/decision-log';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { startDaemon } from '../../../runtime/src/cli/commands/serve';
import { DecisionServer } from '../../../runtime/src/daemon/server';
import { DecisionClient, adminRequest } from '../../../runtime/src/daemon/client';
import { loadPackBody } from '../../../runtime/src/vm/loaded-pack';
import { exchange, setup, testBody } from './fixtures';

const reports: string[] = [];
const report = (l: string): void => void reports.push(l);

test('decisions, pipelining and structured errors on one connection that keeps working', async () => {
  const s = await setup();
  const socket = join(s.dir, 'a.sock');
  const server = await startDaemon(s.packPath, { socket, trust: s.trustPath, state: false }, report);
  try {
    assert.is(statSync(socket).mode & 0o777, 0o600, 'decision socket is owner-only');
    assert.is(statSync(`${socket}.admin`).mode & 0o777, 0o600, 'admin socket is owner-only');
    const lines = [
      '{"id":1,"agent":"bot","tool":"read/file"}',
      'not json',
      '{"id":2,"agent":"bot","tool":"read/x","bogus":1}',
      '{"id":3,"agent":"bot","tool":5}',
      '{"id":"four","agent":"bot","tool":"read/x","time":1}',
      '{"id":5,"agent":"bot","tool":"read/x","__proto__":{"x":1}}',
      '{"id":{"a":1},"agent":"bot","tool":"read/x"}',
      '[1,2]',
      '{"id":6,"agent":"bot","tool":"write/x","cost":-1}',
      '{"id":7,"agent":"bot","tool":"write/x","delegation":{"by":"x","toString":1}}',
      '',
      '{"id":8,"agent":"bot","tool":"write/x"}',
    ];
    const out = (await exchange(socket, lines.join('\n') + '\n', 11)) as Array<{ id: unknown; decision?: { effect: string; code: string }; error?: { code: string; message: string } }>;
    assert.is(out[0]!.id, 1);
    assert.is(out[0]!.decision!.effect, 'permit');
    assert.is(out[1]!.error!.code, 'PARSE_ERROR');
    assert.is(out[1]!.id, null);
    assert.is(out[2]!.error!.code, 'INVALID_REQUEST');
    assert.match(out[2]!.error!.message, 'unknown field `bogus`');
    assert.is(out[2]!.id, 2);
    assert.match(out[3]!.error!.message, '`tool` must be a string');
    // the server's clock only: the runtime denies a call that carries time
    assert.is(out[4]!.id, 'four');
    assert.is(out[4]!.decision!.code, 'INVALID_CALL');
    assert.match(JSON.stringify(out[4]), 'runtime clock');
    assert.match(out[5]!.error!.message, 'unknown field `__proto__`');
    assert.is(out[6]!.id, null);
    assert.is(out[6]!.error!.code, 'INVALID_REQUEST');
    assert.is(out[7]!.error!.code, 'INVALID_REQUEST');
    assert.match(out[8]!.error!.message, '`cost`');
    assert.match(out[9]!.error!.message, 'unknown field `toString` in `delegation`');
    assert.is(out[10]!.id, 8);
    assert.is(out[10]!.decision!.code, 'POLICY_DENY');
    for (const o of out) assert.not.match(JSON.stringify(o), '\n');
    // the library client, pipelined
    const c = await DecisionClient.connect(socket);
    const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => c.decide({ id: i, agent: 'bot', tool: i % 2 ? 'read/a' : 'zzz' })));
    rs.forEach((r, i) => {
      assert.is(r.id, i);
      assert.is('decision' in r && r.decision.effect, i % 2 ? 'permit' : 'deny');
    });
    c.close();
  } finally {
    await server.close();
  }
});

test('answers are byte for byte JSON.stringify of the decision (templated texts), also for hostile tool names', async () => {
  const s = await setup();
  const body = testBody('ok/*');
  await s.writePack({ body });
  const twin = loadPackBody(body);
  const socket = join(s.dir, 't.sock');
  const server = await startDaemon(s.packPath, { socket, trust: s.trustPath, state: false }, report);
  try {
    const names = ['x', 'x"y\\z', '\u2028', '\ud800', '\u0000\u0001\u0002', '😀', 'toString', '__proto__', 'tab\t'];
    const calls = [...names.map((n) => ({ agent: 'bot', tool: `ok/${n}` })), ...names.map((n) => ({ agent: 'bot', tool: n })), ...names.map((n) => ({ agent: 'bot', tool: `ok/${n}` }))];
    const want = calls.map((c, i) => `{"id":${i},"decision":${JSON.stringify(twin.decide(c))}}`);
    const got = await new Promise<string[]>((resolve, reject) => {
      const c = createConnection(socket);
      let buf = '';
      const t = setTimeout(() => reject(new Error(`timeout: ${buf.slice(0, 200)}`)), 10_000);
      c.setEncoding('utf8');
      c.on('data', (d: string) => {
        buf += d;
        const lines = buf.split('\n');
        if (lines.length > calls.length) {
          clearTimeout(t);
          c.destroy();
          resolve(lines.slice(0, calls.length));
        }
      });
      c.on('error', reject);
      c.write(calls.map((x, i) => JSON.stringify({ id: i, ...x })).join('\n') + '\n');
    });
    assert.equal(got, want);
    assert.ok(want.some((l) => l.includes('"PERMIT"')) && want.some((l) => l.includes('"POLICY_DENY"')), 'both plain permits and plain denies');
  } finally {
    await server.close();
  }
});

test('a line longer than the limit is answered LINE_TOO_LONG and the next line works', async () => {
  const s = await setup();
  const socket = join(s.dir, 'b.sock');
  const server = await startDaemon(s.packPath, { socket, trust: s.trustPath, state: false, maxLineBytes: '4096' }, report);
  try {
    const big = '{"id":1,"agent":"bot","tool":"read/x","args":{"a":"' + 'x'.repeat(10_000) + '"}}\n';
    const out = (await exchange(socket, big + '{"id":2,"agent":"bot","tool":"read/x"}\n', 2)) as Array<{ id: unknown; error?: { code: string } }>;
    assert.is(out[0]!.error!.code, 'LINE_TOO_LONG');
    assert.is(out[1]!.id, 2);
  } finally {
    await server.close();
  }
});

test('lines dribbled in small pieces: one at exactly the limit is answered, one byte more is LINE_TOO_LONG, multi-byte characters survive the cuts', async () => {
  const s = await setup();
  const socket = join(s.dir, 'p.sock');
  const server = await startDaemon(s.packPath, { socket, trust: s.trustPath, state: false, maxLineBytes: '4096' }, report);
  const line = (id: number, bytes: number): string => {
    const head = `{"id":${id},"agent":"bot","tool":"read/x","args":{"a":"`;
    const tail = '"}}';
    const fill = bytes - Buffer.byteLength(head + tail);
    return head + 'é'.repeat(Math.floor(fill / 2)) + 'x'.repeat(fill % 2) + tail;
  };
  const exact = line(1, 4096);
  const over = line(2, 4097);
  assert.is(Buffer.byteLength(exact), 4096);
  assert.is(Buffer.byteLength(over), 4097);
  const text = Buffer.from(exact + '\n' + over + '\n' + '{"id":3,"agent":"bot","tool":"read/x"}\n');
  try {
    const out = await new Promise<Array<{ id: unknown; decision?: { effect: string }; error?: { code: string } }>>((resolve, reject) => {
      const c = createConnection(socket);
      let buf = '';
      const got: Array<{ id: unknown; decision?: { effect: string }; error?: { code: string } }> = [];
      c.setEncoding('utf8');
      c.on('error', reject);
      c.on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          got.push(JSON.parse(buf.slice(0, nl)));
          buf = buf.slice(nl + 1);
        }
        if (got.length === 3) {
          c.destroy();
          resolve(got);
        }
      });
      // 1 to 7 bytes per write, a macrotask apart: the server sees the lines in many pieces, cut inside characters
      void (async () => {
        for (let i = 0, k = 0; i < text.length; k++) {
          const n = 1 + (k % 7);
          c.write(text.subarray(i, i + n));
          i += n;
          if (k % 8 === 0) await new Promise((r) => setImmediate(r));
        }
      })();
    });
    assert.is(out[0]!.id, 1);
    assert.is(out[0]!.decision!.effect, 'permit');
    assert.is(out[1]!.error!.code, 'LINE_TOO_LONG');
    assert.is(out[2]!.id, 3);
  } finally {
    await server.close();
  }
});

test('DAEMON_NOT_READY with a retry hint before the pack is verified and loaded', async () => {
  const s = await setup();
  const socket = join(s.dir, 'c.sock');
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const server = new DecisionServer({
    socketPath: socket,
    loader: async () => {
      await gate;
      return { pack: loadPackBody(testBody()), digest: '00', name: 'acme/payments', serial: 1 };
    },
  });
  await server.listen();
  const loading = server.reload();
  try {
    const [r] = (await exchange(socket, '{"id":1,"agent":"bot","tool":"read/x"}\n', 1)) as Array<{ error: { code: string; retry_after_ms: number } }>;
    assert.is(r!.error.code, 'DAEMON_NOT_READY');
    assert.ok(r!.error.retry_after_ms > 0);
    release();
    assert.ok((await loading).ok);
    const [r2] = (await exchange(socket, '{"id":1,"agent":"bot","tool":"read/x"}\n', 1)) as Array<{ decision: { effect: string } }>;
    assert.is(r2!.decision.effect, 'permit');
  } finally {
    await server.close();
  }
});

test('approvals: defer → approve over the admin socket → the same call is permitted once; deny; another call or an unknown id is not', async () => {
  const s = await setup();
  const socket = join(s.dir, 'd.sock');
  const log = join(s.dir, 'd.log');
  const server = await startDaemon(s.packPath, { socket, trust: s.trustPath, state: false, log, logKey: `file:${s.logKeyPath}` }, report);
  const admin = `${socket}.admin`;
  try {
    const c = await DecisionClient.connect(socket);
    const call = { agent: 'bot', tool: 'pay/card', args: { amount: 5, card: 'CARD-SECRET-XYZ' }, session: 's1' };
    const r1 = await c.decide(call);
    assert.ok('decision' in r1);
    const d1 = (r1 as unknown as { decision: { effect: string; approval_id: string; redacted_args: { card: string } } }).decision;
    assert.is(d1.redacted_args.card, "[REDACTED]");
    assert.is(d1.effect, 'defer');
    const id = d1.approval_id;
    assert.match(id, /^apr-/);
    // pending: the retry is deferred again under the same id
    const r2 = (await c.decide({ ...call, approval_id: id })) as { decision: { effect: string; approval_id: string } };
    assert.is(r2.decision.effect, 'defer');
    assert.is(r2.decision.approval_id, id);
    const list = await adminRequest(admin, { op: 'list' });
    assert.is((list['approvals'] as unknown[]).length, 1);
    for (const bad of ['nope', '__proto__', 'toString']) assert.not.ok((await adminRequest(admin, { op: 'approve', id: bad })).ok, bad);
    assert.ok((await adminRequest(admin, { op: 'approve', id })).ok);
    // another call (other args) with the id: not permitted
    const other = (await c.decide({ ...call, args: { amount: 5000, card: 'CARD-SECRET-XYZ' }, approval_id: id })) as { decision: { effect: string } };
    assert.is(other.decision.effect, 'defer');
    const r3 = (await c.decide({ ...call, approval_id: id })) as { decision: { effect: string; code: string } };
    assert.is(r3.decision.effect, 'permit');
    assert.is(r3.decision.code, 'PERMIT');
    // once only
    const r4 = (await c.decide({ ...call, approval_id: id })) as { decision: { effect: string } };
    assert.is(r4.decision.effect, 'defer');
    // deny
    const id2 = (r4 as unknown as { decision: { approval_id: string } }).decision.approval_id;
    assert.ok((await adminRequest(admin, { op: 'deny', id: id2 })).ok);
    const r5 = (await c.decide({ ...call, approval_id: id2 })) as { decision: { effect: string } };
    assert.is(r5.decision.effect, 'deny');
    c.close();
    await server.close();
    const text = readFileSync(log, 'utf8');
    assert.not.match(text, 'CARD-SECRET-XYZ', 'redacted before anything is written');
    const recs = text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; status?: string; args?: { card?: string } });
    assert.equal(recs.filter((r) => r.type === 'approval').map((r) => r.status), ['approved', 'denied']);
    assert.ok(recs.filter((r) => r.type === 'decision').every((r) => r.args!.card === '[REDACTED]'));
    assert.is(recs[recs.length - 1]!.type, 'checkpoint');
  } finally {
    await server.close();
  }
});

test('reload: a tampered, older, wrongly named or unpinned pack is refused and the old one keeps serving', async () => {
  const s = await setup();
  const socket = join(s.dir, 'e.sock');
  const log = join(s.dir, 'e.log');
  reports.length = 0;
  const server = await startDaemon(s.packPath, { socket, trust: s.trustPath, name: 'acme/payments', stateDir: join(s.dir, 'state'), log }, report);
  const ask = async (tool: string): Promise<string> => ((await exchange(socket, JSON.stringify({ id: 1, agent: 'bot', tool }) + '\n', 1)) as Array<{ decision: { effect: string } }>)[0]!.decision.effect;
  try {
    assert.is(await ask('new/x'), 'deny');
    await s.writePack({ serial: 2, body: testBody('new/*') });
    let r = await adminRequest(`${socket}.admin`, { op: 'reload' });
    assert.ok(r.ok, JSON.stringify(r));
    assert.is(await ask('new/x'), 'permit');
    const refusals: Array<[string, () => Promise<unknown>, string]> = [
      ['older', () => s.writePack({ serial: 1 }), 'rollback'],
      ['wrong name', () => s.writePack({ serial: 3, name: 'acme/dev' }), 'expected-name'],
      ['unpinned signer', () => s.writePack({ serial: 3, signer: s.otherKey }), 'threshold'],
      [
        'tampered',
        async () => {
          const b = Buffer.from(await s.writePack({ serial: 3 }));
          b[b.length - 5] ^= 1;
          writeFileSync(s.packPath, b);
        },
        'body',
      ],
    ];
    for (const [what, make, code] of refusals) {
      await make();
      reports.length = 0;
      r = await adminRequest(`${socket}.admin`, { op: 'reload' }, 10_000);
      assert.not.ok(r.ok, what);
      assert.match(String(r.error), code === 'body' ? /body|CRC|malformed/ : code, what);
      assert.ok(reports.some((l) => l.startsWith('pack refused:') && l.includes('still serving')), what);
      assert.is(await ask('new/x'), 'permit', `${what}: the old pack keeps serving`);
    }
    await server.close();
    const recs = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    assert.is(recs.filter((x) => x.type === 'pack-refused').length, 4);
    assert.is(recs.filter((x) => x.type === 'pack-reloaded').length, 1);
  } finally {
    await server.close();
  }
});

test('fail closed: a decision that cannot be logged is denied, and so is every later one', async () => {
  const s = await setup();
  const socket = join(s.dir, 'g.sock');
  const log = DecisionLog.open({ path: join(s.dir, 'g.log'), checkpointSeconds: 0 });
  const server = new DecisionServer({ socketPath: socket, loader: () => ({ pack: loadPackBody(testBody()), digest: '00', name: 'acme/payments', serial: 1 }), log });
  await server.listen();
  await server.reload();
  const ask = async (): Promise<{ effect: string; code: string; human_message: string }> =>
    ((await exchange(socket, '{"id":1,"agent":"bot","tool":"read/x"}\n', 1)) as Array<{ decision: { effect: string; code: string; human_message: string } }>)[0]!.decision;
  const priv = log as unknown as { fd: number };
  const fd = priv.fd;
  try {
    assert.is((await ask()).effect, 'permit');
    // the disk goes away under the server: writes fail with EBADF (a number no open file can have)
    priv.fd = 1 << 30;
    for (let i = 0; i < 3; i++) {
      if (i === 1) priv.fd = fd; // the disk is back: still denied until a restart recovers the file
      const d = await ask();
      assert.is(d.effect, 'deny');
      assert.is(d.code, 'POLICY_EVAL_ERROR');
      assert.match(d.human_message, 'decision log cannot be written');
    }
  } finally {
    priv.fd = fd;
    await server.close().catch(() => {});
  }
});

test.run();
