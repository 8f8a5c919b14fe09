// Issue 12: the decision log is tamper-evident. Every record of a small log
// is edited, deleted, duplicated and moved in turn, and `verifyLog` must
// notice each time; a checkpoint forged with an unpinned key is refused; the
// chain survives rotation and a torn last line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DecisionLog, lineHash, rotatedFiles } from '../../../runtime/src/daemon/decision-log';
import { verifyLog } from '../../../runtime/src/daemon/log-verify';
import { fileSigner } from '../../../runtime/src/daemon/signer';
import { loadTrustRoots } from '../../../runtime/src/trust/trust-roots';
import { runCli } from '../../compiler/sign/cli';
import { setup } from './fixtures';

const s = await setup('fms-dlog-');
const trust = loadTrustRoots(s.trustPath);

async function writeLog(path: string, n: number, o: { every?: number; maxBytes?: number; key?: string } = {}): Promise<void> {
  const log = DecisionLog.open({ path, signer: fileSigner(o.key ?? s.logKeyPath), checkpointEvery: o.every ?? 4, checkpointSeconds: 0, ...(o.maxBytes ? { maxBytes: o.maxBytes } : {}) });
  for (let i = 0; i < n; i++) {
    log.append({ type: 'decision', agent: 'bot', tool: `read/${i}`, effect: 'permit', code: 'PERMIT', rule_ref: 'governance.fms:10', args: { i } });
    log.flush();
    await new Promise((r) => setImmediate(r));
  }
  await log.close();
}

/** Re-links the chain after a change at line `from` (what an attacker without the key can do) and re-signs checkpoints with `key`. */
async function rechain(lines: string[], from: number, key: string): Promise<string[]> {
  const signer = fileSigner(key);
  const out = lines.slice(0, from);
  let prev = from === 0 ? 'sha256:' + '0'.repeat(64) : lineHash(out[from - 1]!);
  const hashes = new Map<number, string>();
  for (const l of out) hashes.set((JSON.parse(l) as { seq: number }).seq, lineHash(l));
  for (let i = from; i < lines.length; i++) {
    const r = JSON.parse(lines[i]!) as { [k: string]: unknown };
    r['prev_hash'] = prev;
    if (r['type'] === 'checkpoint') {
      const { CHECKPOINT_PAYLOAD_TYPE, LOG_FORMAT } = await import('../../../runtime/src/daemon/decision-log');
      const { pae } = await import('../../../runtime/src/trust/dsse');
      const { canonicalJson } = await import('../../../runtime/src/trust/canonical-json');
      r['head_hash'] = hashes.get(r['last_seq'] as number);
      const time = r['time'] as string;
      const payload = new TextEncoder().encode(canonicalJson({ first_seq: r['first_seq'] as number, head_hash: r['head_hash'] as string, last_seq: r['last_seq'] as number, log: LOG_FORMAT, time }));
      const sig = await signer.sign(pae(CHECKPOINT_PAYLOAD_TYPE, payload));
      r['envelope'] = { payloadType: CHECKPOINT_PAYLOAD_TYPE, payload: Buffer.from(payload).toString('base64'), signatures: [{ keyid: signer.keyId, sig: Buffer.from(sig).toString('base64') }] };
    }
    const line = JSON.stringify(r);
    out.push(line);
    prev = lineHash(line);
    hashes.set(r['seq'] as number, prev);
  }
  return out;
}

test('a record line is exactly JSON.stringify({ seq, prev_hash, time, ...fields }), whatever the fields', () => {
  const f = join(s.dir, 'text.log');
  let t = Date.parse('2026-01-02T03:04:05.006Z');
  const log = DecisionLog.open({ path: f, checkpointSeconds: 0, now: () => t });
  const cases: Array<{ type: string; [k: string]: unknown }> = [
    { type: 'decision', agent: 'bot', tool: 'read/x', args: { a: [1, 'é✓', null], b: { '"q"': '\n\u2028' } } },
    { type: 'x' },
    { type: 'checkpoint', time: '2000-01-01T00:00:00.000Z', first_seq: 1 },
    { type: 'decision', approval_id: undefined, args: null, toString: 'decoy', __proto__x: 1 },
    { type: 'decision', ['__proto__']: { polluted: true } } as { type: string },
  ];
  let prev = 'sha256:' + '0'.repeat(64);
  for (const [i, fields] of cases.entries()) {
    t += i % 2; // some records share a millisecond
    log.append(fields);
    log.flush();
    const line = readFileSync(f, 'utf8').trimEnd().split('\n').pop()!;
    assert.is(line, JSON.stringify({ seq: i + 1, prev_hash: prev, time: new Date(t).toISOString(), ...fields }), `record ${i + 1}`);
    prev = lineHash(line);
  }
  assert.not.ok(({} as { polluted?: boolean }).polluted);
});

test('an intact log verifies, every record signed by a pinned key', async () => {
  const f = join(s.dir, 'ok.log');
  await writeLog(f, 10);
  const r = verifyLog([f], trust);
  assert.ok(r.ok, JSON.stringify(r.broken));
  assert.is(r.unsignedTail, null);
  assert.ok(r.checkpoints >= 3);
  assert.is(r.signedThrough, r.lastSeq! - 1, 'the final checkpoint covers everything before it');
});

test('editing, deleting, duplicating or moving ANY record is detected', async () => {
  const f = join(s.dir, 'base.log');
  await writeLog(f, 8, { every: 3 });
  const lines = readFileSync(f, 'utf8').trim().split('\n');
  const t = join(s.dir, 'tampered.log');
  const detected = (ls: string[], what: string): void => {
    writeFileSync(t, ls.join('\n') + '\n');
    const r = verifyLog([t], trust);
    assert.ok(!r.ok || r.unsignedTail !== null, `${what} not detected`);
    if (!r.ok) assert.not.match(r.broken!.reason, '\n');
  };
  let cases = 0;
  for (let i = 0; i < lines.length; i++) {
    const rec = JSON.parse(lines[i]!) as { [k: string]: unknown };
    const edited = { ...rec, time: '2000-01-01T00:00:00.000Z' };
    detected(lines.map((l, j) => (j === i ? JSON.stringify(edited) : l)), `edit of line ${i + 1}`);
    detected(lines.filter((_, j) => j !== i), `deletion of line ${i + 1}`);
    detected([...lines.slice(0, i + 1), lines[i]!, ...lines.slice(i + 1)], `duplicate of line ${i + 1}`);
    if (i + 1 < lines.length) detected([...lines.slice(0, i), lines[i + 1]!, lines[i]!, ...lines.slice(i + 2)], `swap of lines ${i + 1} and ${i + 2}`);
    // an attacker re-links the chain after editing, and re-signs with a key that is not pinned
    if (rec['type'] === 'decision') {
      const forged = await rechain(lines.map((l, j) => (j === i ? JSON.stringify({ ...rec, effect: 'deny' }) : l)), i, s.rogueKeyPath);
      const r = verifyLog((writeFileSync(t, forged.join('\n') + '\n'), [t]), trust);
      assert.not.ok(r.ok, `forged chain from line ${i + 1}`);
      assert.match(r.broken!.reason, /not pinned|head_hash/);
      // …and re-signing with the pinned key works (the key is what protects the log)
      const resigned = await rechain(lines.map((l, j) => (j === i ? JSON.stringify({ ...rec, effect: 'deny' }) : l)), i, s.logKeyPath);
      assert.ok(verifyLog((writeFileSync(t, resigned.join('\n') + '\n'), [t]), trust).ok);
      cases += 2;
    }
    cases += 4;
  }
  // dropping every checkpoint after an edit leaves an unsigned tail, never a signed one
  process.stdout.write(`  tamper cases: ${cases} on a log of ${lines.length} records\n`);
});

test('a checkpoint forged by an unpinned key is refused', async () => {
  const f = join(s.dir, 'rogue.log');
  await writeLog(f, 5, { key: s.rogueKeyPath });
  const r = verifyLog([f], trust);
  assert.not.ok(r.ok);
  assert.match(r.broken!.reason, 'not pinned');
  assert.is(r.broken!.line, 5, 'names the first checkpoint');
});

test('rotation keeps the chain across files (any order given); a missing file breaks it', async () => {
  const f = join(s.dir, 'rot.log');
  const log = DecisionLog.open({ path: f, signer: fileSigner(s.logKeyPath), checkpointEvery: 1000, checkpointSeconds: 0, maxBytes: 4096 });
  for (let i = 0; i < 120; i++) {
    log.append({ type: 'decision', agent: 'bot', tool: `t/${i}`, effect: 'deny', code: 'POLICY_DENY', rule_ref: null, args: { pad: 'x'.repeat(40) } });
    log.flush();
    await new Promise((r) => setTimeout(r, 1));
  }
  await log.close();
  const files = [...rotatedFiles(f), f];
  assert.ok(files.length >= 3, `rotated into ${files.length} files`);
  // one rotation per full file: no file holds only its `rotated` record
  for (const file of files.slice(0, -1)) assert.ok(readFileSync(file, 'utf8').trim().split('\n').length > 3, file);
  const r = verifyLog([...files].reverse(), trust);
  assert.ok(r.ok, JSON.stringify(r.broken));
  assert.is(r.unsignedTail, null);
  const gap = verifyLog([files[0]!, ...files.slice(2)], trust);
  assert.not.ok(gap.ok);
  // a suffix alone: only with --partial
  assert.not.ok(verifyLog(files.slice(1), trust).ok);
  assert.ok(verifyLog(files.slice(1), trust, { allowPartial: true }).ok);
});

test('a checkpoint whose flush fills the file: the rotation it starts does not sign the same range twice (soak finding)', async () => {
  const f = join(s.dir, 'cross.log');
  const log = DecisionLog.open({ path: f, signer: fileSigner(s.logKeyPath), checkpointEvery: 5, checkpointSeconds: 0, maxBytes: 4096 });
  // five ~1 KB records buffered, then the fifth asks for a checkpoint: its flush crosses maxBytes and starts a rotation
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 5; i++) log.append({ type: 'decision', agent: 'bot', tool: `t/${round}/${i}`, effect: 'deny', code: 'POLICY_DENY', rule_ref: null, args: { pad: 'x'.repeat(900) } });
    log.flush();
    await new Promise((r) => setTimeout(r, 5));
  }
  await log.close();
  const files = [...rotatedFiles(f), f];
  const ranges = files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; first_seq?: number; last_seq?: number })
      .filter((r) => r.type === 'checkpoint')
      .map((r) => `${r.first_seq}-${r.last_seq}`),
  );
  assert.equal(ranges, [...new Set(ranges)], 'every range signed once');
  const v = verifyLog(files, trust);
  assert.ok(v.ok, JSON.stringify(v.broken));
  assert.is(v.unsignedTail, null);
});

test('a torn last line (crash mid-write): the prefix verifies, a reopened log cuts it and continues the chain', async () => {
  const f = join(s.dir, 'torn.log');
  await writeLog(f, 6);
  appendFileSync(f, '{"seq":99,"prev_hash":"sha256:abc');
  const r = verifyLog([f], trust);
  assert.not.ok(r.ok);
  assert.match(r.broken!.reason, 'torn');
  assert.ok(r.records > 6);
  const log = DecisionLog.open({ path: f, signer: fileSigner(s.logKeyPath), checkpointSeconds: 0 });
  log.append({ type: 'decision', agent: 'bot', tool: 'after', effect: 'permit', code: 'PERMIT', rule_ref: null, args: {} });
  await log.close();
  const r2 = verifyLog([f], trust);
  assert.ok(r2.ok, JSON.stringify(r2.broken));
  assert.ok(readFileSync(f, 'utf8').includes('"type":"recovered"'));
});

test('fms-run log verify: exit 0 on an intact log, 3 naming the first broken record', async () => {
  const f = join(s.dir, 'cli.log');
  await writeLog(f, 5);
  const ok = await runCli('fms-run', ['log', 'verify', f, '--trust', s.trustPath, '--require-signed']);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^ok: \d+ record\(s\).*no unsigned records/);
  const lines = readFileSync(f, 'utf8').split('\n');
  lines[2] = lines[2]!.replace('read/2', 'read/9');
  writeFileSync(f, lines.join('\n'));
  const bad = await runCli('fms-run', ['log', 'verify', f, '--trust', s.trustPath]);
  assert.is(bad.code, 3);
  assert.match(bad.stderr, `${f}:4 (seq 4): prev_hash does not match record 3`);
  assert.is(bad.stderr.trim().split('\n').length, 1);
});

test.run();
