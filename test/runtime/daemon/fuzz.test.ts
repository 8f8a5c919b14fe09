// Issue 12: fuzzed protocol input never crashes the server or stalls other
// clients: random bytes, truncated lines, a 10 MB line, deep JSON, half-closed
// and abruptly closed sockets. After every batch a control client must get
// its answer promptly. Prints the case count.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { startDaemon } from '../../../runtime/src/cli/commands/serve';
import { DecisionClient } from '../../../runtime/src/daemon/client';
import { exchange, setup } from './fixtures';

/** Writes `data` on a fresh connection, half-closes it, and resolves with the answer lines it got before the server closed. */
function sendRaw(socket: string, data: Buffer | string, o: { destroyAfterMs?: number } = {}): Promise<string[]> {
  return new Promise((resolve) => {
    const c = createConnection(socket);
    let buf = '';
    const done = (): void => resolve(buf.split('\n').filter((l) => l !== ''));
    c.setEncoding('utf8');
    c.on('data', (d: string) => (buf += d));
    c.on('error', done);
    c.on('close', done);
    c.write(data);
    if (o.destroyAfterMs !== undefined) setTimeout(() => c.destroy(), o.destroyAfterMs);
    else c.end();
  });
}

test('fuzzed input: no crash, no stall, every answer is a JSON line', async () => {
  const s = await setup();
  const socket = join(s.dir, 'f.sock');
  const server = await startDaemon(s.packPath, { socket, trust: s.trustPath, state: false, log: join(s.dir, 'f.log') }, () => {});
  const control = await DecisionClient.connect(socket);
  let cases = 0;
  const alive = async (what: string): Promise<void> => {
    const t = Date.now();
    const r = await Promise.race([control.decide({ agent: 'bot', tool: 'read/x' }), new Promise<null>((res) => setTimeout(() => res(null), 5000))]);
    assert.ok(r && 'decision' in r, `control client stalled after ${what}`);
    assert.ok(Date.now() - t < 5000);
  };
  const jsonLines = (lines: string[], what: string): void => {
    for (const l of lines) {
      const v = JSON.parse(l) as { decision?: unknown; error?: { code: string } };
      assert.ok(v.decision !== undefined || v.error !== undefined, `${what}: ${l.slice(0, 100)}`);
    }
  };
  try {
    // random bytes, some with newlines
    const blobs = fc.sample(fc.uint8Array({ maxLength: 3000 }), { numRuns: 150, seed: 1 });
    for (let i = 0; i < blobs.length; i += 15) {
      const batch = blobs.slice(i, i + 15);
      const outs = await Promise.all(batch.map((b) => sendRaw(socket, Buffer.from(b))));
      outs.forEach((o) => jsonLines(o, 'random bytes'));
      cases += batch.length;
      await alive('random bytes');
    }
    // truncated lines: a valid request cut anywhere, then a newline
    const req = JSON.stringify({ id: 7, agent: 'bot', tool: 'pay/x', args: { card: 'c', nested: { a: [1, 2, { b: 'x' }] } }, session: 's' });
    const cuts: string[] = [];
    for (let k = 0; k <= req.length; k++) cuts.push(req.slice(0, k) + '\n');
    const outs = await Promise.all([0, 1, 2, 3].map((q) => sendRaw(socket, cuts.filter((_, k) => k % 4 === q).join(''))));
    for (const o of outs) jsonLines(o, 'truncated');
    assert.is(outs.reduce((n, o) => n + o.length, 0), cuts.length - 1, 'one answer per non-empty line');
    cases += cuts.length;
    await alive('truncated lines');
    // a 10 MB line, then a good request on the same connection
    const big = Buffer.alloc(10 * 1024 * 1024, 0x61);
    const [tooLong, next] = (await exchange(socket, Buffer.concat([Buffer.from('{"id":1,"agent":"bot","tool":"read/x","args":{"a":"'), big, Buffer.from('"}}\n{"id":2,"agent":"bot","tool":"read/x"}\n')]), 2)) as Array<{ id: unknown; error?: { code: string }; decision?: unknown }>;
    assert.is(tooLong!.error!.code, 'LINE_TOO_LONG');
    assert.is(next!.id, 2);
    assert.ok(next!.decision);
    cases++;
    await alive('10 MB line');
    // deep JSON: as the whole line, and inside args
    for (const depth of [1000, 100_000, 400_000]) {
      const [a] = (await exchange(socket, '['.repeat(depth) + ']'.repeat(depth) + '\n', 1)) as Array<{ error?: { code: string } }>;
      assert.ok(a!.error, `deep array ${depth}`);
      const deepArgs = '{"id":3,"agent":"bot","tool":"pay/x","args":' + '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) + '}\n';
      const [b] = (await exchange(socket, deepArgs.length < 1 << 20 ? deepArgs : '{"id":3,"agent":"bot","tool":"pay/x","args":{}}\n', 1)) as Array<{ id: number; decision?: { code: string } }>;
      assert.is(b!.id, 3);
      if (deepArgs.length < 1 << 20) assert.is(b!.decision!.code, 'INVALID_CALL', `deep args ${depth}`);
      cases += 2;
    }
    await alive('deep JSON');
    // half-closed: the client sends and closes its side; it still gets every answer
    const many = Array.from({ length: 200 }, (_, i) => JSON.stringify({ id: i, agent: 'bot', tool: i % 2 ? 'read/x' : 'pay/x' })).join('\n') + '\n';
    const half = await sendRaw(socket, many);
    assert.is(half.length, 200);
    cases++;
    // abruptly closed mid-line and mid-answer, many at once
    await Promise.all(Array.from({ length: 40 }, (_, i) => sendRaw(socket, many + '{"id":1,"agent":"b', { destroyAfterMs: i % 3 })));
    cases += 40;
    await alive('abrupt closes');
    // a client that never reads: the server stops reading it, others are served
    const hog = createConnection(socket);
    hog.on('error', () => {});
    const flood = Buffer.from(JSON.stringify({ id: 1, agent: 'bot', tool: 'read/x' }) + '\n');
    for (let i = 0; i < 20_000; i++) hog.write(flood);
    hog.pause();
    await new Promise((r) => setTimeout(r, 300));
    await alive('a client that does not read');
    hog.destroy();
    cases++;
    process.stdout.write(`  protocol fuzz: ${cases} cases, server alive\n`);
  } finally {
    control.close();
    await server.close(1000);
  }
});

test.run();
