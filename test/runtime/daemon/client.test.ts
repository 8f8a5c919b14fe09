// The library client (`@fms/runtime/client`) against a scripted server: the
// client reads into one reused buffer and splits lines itself, so lines cut
// anywhere (inside a multi-byte character, across reads larger than its
// buffer) must come out whole; answers go to their requests in order; a
// server that answers what nobody asked, answers another id, sends an endless
// line or hangs up fails the connection with a reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { DecisionClient, MAX_ANSWER_BYTES } from '../../../runtime/src/daemon/client';
import { tempDir } from './fixtures';

/** Asserts that `p` rejects with a message matching `re`. */
async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected a rejection matching ${re}`);
}

/** A server that hands each connection's received lines to `script` and writes what it returns. */
async function scripted(script: (lines: string[], sock: Socket) => void): Promise<{ path: string; got: string[]; close: () => Promise<void> }> {
  const path = join(tempDir('fms-client-'), 'c.sock');
  const got: string[] = [];
  const socks = new Set<Socket>();
  const server = createServer((sock) => {
    socks.add(sock);
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => {});
    sock.on('data', (d: string) => {
      buf += d;
      const lines: string[] = [];
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      got.push(...lines);
      if (lines.length) script(lines, sock);
    });
  });
  await new Promise<void>((r) => server.listen(path, () => r()));
  return {
    path,
    got,
    close: () =>
      new Promise((r) => {
        for (const s of socks) s.destroy();
        server.close(() => r());
      }),
  };
}

const decisionFor = (id: unknown, msg = 'permitted'): string => JSON.stringify({ id, decision: { effect: 'permit', code: 'PERMIT', rule_ref: null, human_message: msg, resolution: null } }) + '\n';

/** Writes `text` in pieces of `size` bytes, one per macrotask (so the client reads them apart). */
async function dribble(sock: Socket, text: string, size: number): Promise<void> {
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += size) {
    sock.write(b.subarray(i, i + size));
    await new Promise((r) => setTimeout(r, 0));
  }
}

test('requests on the wire: an id is filled in (first field), a given id is kept; answers in order', async () => {
  const srv = await scripted((lines, sock) => {
    for (const l of lines) sock.write(decisionFor((JSON.parse(l) as { id: unknown }).id));
  });
  const c = await DecisionClient.connect(srv.path);
  try {
    const rs = await Promise.all([c.decide({ agent: 'a', tool: 't', args: { x: 1 } }), c.decide({ id: 'mine', agent: 'a', tool: 't' }), c.decide({ agent: 'a', tool: 'u' })]);
    assert.equal(
      rs.map((r) => r.id),
      [1, 'mine', 2],
    );
    assert.equal(srv.got, ['{"id":1,"agent":"a","tool":"t","args":{"x":1}}', '{"id":"mine","agent":"a","tool":"t"}', '{"id":2,"agent":"a","tool":"u"}']);
    const r = await c.decide({ agent: 'a', tool: 't' });
    assert.is(r.id, 3);
  } finally {
    c.close();
    await srv.close();
  }
});

test('answers cut anywhere: byte by byte (inside multi-byte characters), larger than the read buffer, many in one read', async () => {
  const big = 'é✓'.repeat(40_000); // ~200 KB of multi-byte text: several reads of the client's 64 KiB buffer
  let mode = 0;
  const srv = await scripted((lines, sock) => {
    const text = lines.map((l) => decisionFor((JSON.parse(l) as { id: unknown }).id, mode === 1 ? big : 'ok ✓ é')).join('');
    if (mode === 0) void dribble(sock, text, 1);
    else if (mode === 1) void dribble(sock, text, 7919);
    else sock.write(text);
  });
  const c = await DecisionClient.connect(srv.path);
  try {
    const a = await c.decide({ agent: 'a', tool: 't' });
    assert.is('decision' in a && a.decision.human_message, 'ok ✓ é');
    mode = 1;
    const b = await c.decide({ agent: 'a', tool: 't' });
    assert.ok('decision' in b && b.decision.human_message === big, 'a 200 KB answer over many reads, characters intact');
    mode = 2;
    const rs = await Promise.all(Array.from({ length: 500 }, (_, i) => c.decide({ id: i, agent: 'a', tool: 't' })));
    rs.forEach((r, i) => assert.is(r.id, i));
  } finally {
    c.close();
    await srv.close();
  }
});

test('a request JSON cannot carry (a BigInt, a cycle) is a rejection, not a throw, and sends nothing', async () => {
  const srv = await scripted((lines, sock) => {
    for (const l of lines) sock.write(decisionFor((JSON.parse(l) as { id: unknown }).id));
  });
  const c = await DecisionClient.connect(srv.path);
  try {
    const cyc: { [k: string]: unknown } = {};
    cyc['self'] = cyc;
    let p: Promise<unknown> | undefined;
    assert.not.throws(() => (p = c.decide({ agent: 'a', tool: 't', args: { n: 1n } })));
    await rejects(p!, /BigInt/);
    await rejects(c.decide({ id: 7, agent: 'a', tool: 't', args: cyc }), /circular/i);
    const r = await c.decide({ id: 8, agent: 'a', tool: 't' });
    assert.is(r.id, 8, 'the connection still pairs answers with requests');
    assert.equal(srv.got, ['{"id":8,"agent":"a","tool":"t"}']);
  } finally {
    c.close();
    await srv.close();
  }
});

test('a server that answers another id, answers nobody, sends an endless line or hangs up: refused with a reason', async () => {
  let mode = 'wrong-id';
  const srv = await scripted((lines, sock) => {
    if (mode === 'wrong-id') sock.write(decisionFor('other'));
    else if (mode === 'not-json') sock.write('nope\n');
    else if (mode === 'extra') sock.write(decisionFor(1) + decisionFor(99));
    else if (mode === 'endless') {
      const chunk = Buffer.alloc(1 << 20, 0x61);
      let sent = 0;
      const pump = (): void => {
        while (sent <= MAX_ANSWER_BYTES && !sock.destroyed) {
          sent += chunk.length;
          if (!sock.write(chunk)) return void sock.once('drain', pump);
        }
      };
      pump();
    } else if (mode === 'hangup') sock.destroy();
    void lines;
  });
  try {
    let c = await DecisionClient.connect(srv.path);
    await rejects(c.decide({ id: 1, agent: 'a', tool: 't' }), /answer for id "other" arrived for request 1/);
    mode = 'not-json';
    await rejects(c.decide({ id: 2, agent: 'a', tool: 't' }), /not JSON/);
    mode = 'extra';
    const first = c.decide({ id: 1, agent: 'a', tool: 't' });
    assert.is((await first).id, 1);
    await new Promise((r) => setTimeout(r, 50));
    await rejects(c.decide({ id: 3, agent: 'a', tool: 't' }), /answer nobody asked for/);
    c.close();
    mode = 'endless';
    c = await DecisionClient.connect(srv.path);
    await rejects(c.decide({ id: 1, agent: 'a', tool: 't' }), /answer longer than/);
    mode = 'hangup';
    c = await DecisionClient.connect(srv.path);
    const pending = [c.decide({ id: 1, agent: 'a', tool: 't' }), c.decide({ id: 2, agent: 'a', tool: 't' })];
    for (const p of pending) await rejects(p, /closed the connection/);
    await rejects(c.decide({ id: 3, agent: 'a', tool: 't' }), /closed the connection/);
  } finally {
    await srv.close();
  }
});

test.run();
