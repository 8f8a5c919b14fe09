// Release provenance (issue 16, issue 17 for `inspect --format json`):
// `fmsc verify` shows the manifest, the governing scope and how each signature
// counted against the pinned keys; `fmsc inspect` shows the manifest and the
// claimed key ids without a trust file and says they are unverified.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeContainer, decodeEnvelope, encodeContainer, encodeEnvelope } from '@fms/runtime/format';
import { readPackUnverified } from '@fms/compiler/sign';
import { errLines, EXAMPLE, FMSC, run, scratch, show } from './cli-env';

const dir = scratch('fms-provenance-');
const trust = join(dir, 'trust.json');
const ids: Record<string, string> = {};

test.before(() => {
  for (const k of ['a', 'b', 'c', 'd']) {
    assert.is(run(FMSC, ['keygen', `${k}.pem`], dir).status, 0);
    ids[k] = JSON.parse(run(FMSC, ['pubkey', '--key', `${k}.pem`, '--format', 'json'], dir).stdout).key_id;
  }
  assert.is(run(FMSC, ['trust', 'init', trust], dir).status, 0);
  assert.is(run(FMSC, ['trust', 'add', trust, '--key', 'a.pem', '--scope', 'acme', '--comment', 'release A'], dir).status, 0);
  assert.is(run(FMSC, ['trust', 'add', trust, '--key', 'd.pem', '--scope', 'acme'], dir).status, 0);
  assert.is(run(FMSC, ['trust', 'add', trust, '--key', 'b.pem', '--scope', 'other'], dir).status, 0);
  assert.is(run(FMSC, ['trust', 'revoke', trust, ids.d!], dir).status, 0);
  // a: verified; b: pinned only for another scope; c: not pinned; d: revoked.
  const b = run(FMSC, ['build', EXAMPLE, '--name', 'acme/support', '--key', 'a.pem', '--key', 'b.pem', '--key', 'c.pem', '--key', 'd.pem', '-o', 'p.fmspack'], dir);
  assert.is(b.status, 0, show(b));
});

test('verify --format json: the manifest, the scope, and each signature with its pinned algorithm and status', () => {
  const r = run(FMSC, ['verify', 'p.fmspack', '--trust', trust, '--format', 'json'], dir);
  assert.is(r.status, 0, show(r));
  const doc = JSON.parse(r.stdout);
  const m = readPackUnverified(readFileSync(join(dir, 'p.fmspack'))).manifest;
  assert.is(doc.version, 1);
  assert.equal(doc.manifest, { ...m, imports: m.imports ?? [] });
  assert.equal(Object.keys(doc.manifest).sort(), ['body', 'compiler', 'created_at', 'expires_at', 'imports', 'name', 'not_before', 'serial', 'source_sha256']);
  assert.equal(doc.scope, { prefix: 'acme', threshold: 1, keys: 2, min_serial: 0 });
  assert.equal(doc.signatures, [
    { key_id: ids.a, algorithm: 'ed25519', status: 'verified', comment: 'release A' },
    { key_id: ids.b, algorithm: 'ed25519', status: 'other-scope' },
    { key_id: ids.c, algorithm: null, status: 'unpinned' },
    { key_id: ids.d, algorithm: 'ed25519', status: 'revoked' },
  ]);
  assert.equal(doc.signers, [ids.a]);
  // The fields of `fms-run verify --format json` are all there too.
  for (const k of ['name', 'serial', 'digest', 'manifest_digest', 'not_before', 'expires_at', 'compiler', 'source_sha256', 'imports', 'trust', 'rollback_state']) assert.ok(k in doc, k);
});

test('verify (text): the first line as before, then manifest, scope and one line per signature; FMS_TRUST works like --trust', () => {
  const r = run(FMSC, ['verify', 'p.fmspack'], dir, { FMS_TRUST: trust });
  assert.is(r.status, 0, show(r));
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, new RegExp(`^ok: pack \`acme/support\` serial \\d+ body sha256:[0-9a-f]{64} signed by 1 pinned key\\(s\\): ${ids.a}; expires `));
  assert.match(lines[1]!, /^ {2}manifest sha256:[0-9a-f]{64}: created \S+, valid \S+ \.\. \S+, \d+ body bytes, source sha256:[0-9a-f]{64}, compiler fmsc \S+, 0 import\(s\)$/);
  assert.match(lines[2]!, /^ {2}trust \S+trust\.json: scope `acme` requires 1 of 2 key\(s\), min_serial 0$/);
  assert.equal(lines.slice(3), [
    `  signature ${ids.a} ed25519: verified, counts toward the threshold (release A)`,
    `  signature ${ids.b} ed25519: pinned only for other scopes: ignored`,
    `  signature ${ids.c} (algorithm unknown): not pinned by the trust file: ignored`,
    `  signature ${ids.d} ed25519: revoked in the trust file: ignored`,
  ]);
});

test('a signature repeated in a hand-made envelope counts once and says so; refusals stay one line (JSON error on stdout in json mode)', () => {
  const bytes = readFileSync(join(dir, 'p.fmspack'));
  const c = decodeContainer(bytes);
  const env = decodeEnvelope(c.envelope);
  env.signatures = [env.signatures[0]!, env.signatures[0]!];
  writeFileSync(join(dir, 'rep.fmspack'), encodeContainer(encodeEnvelope(env), c.body));
  const r = run(FMSC, ['verify', 'rep.fmspack', '--trust', trust, '--format', 'json'], dir);
  assert.is(r.status, 0, show(r));
  assert.equal(JSON.parse(r.stdout).signatures.map((s: { status: string }) => s.status), ['verified', 'repeated']);
  // Only the unpinned key signs: refused (threshold), one line, JSON error document.
  assert.is(run(FMSC, ['build', EXAMPLE, '--name', 'acme/support', '--key', 'c.pem', '-o', 'c.fmspack'], dir).status, 0);
  const no = run(FMSC, ['verify', 'c.fmspack', '--trust', trust, '--format', 'json'], dir);
  assert.is(no.status, 3, show(no));
  assert.is(errLines(no).length, 1);
  const err = JSON.parse(no.stdout);
  assert.equal([err.ok, err.error.exit_code], [false, 3]);
  assert.match(err.error.message, /\[threshold\]/);
});

test('inspect: the manifest and unverified key ids (text and --format json); an unsigned pack and a raw body', () => {
  const t = run(FMSC, ['inspect', 'p.fmspack'], dir);
  assert.is(t.status, 0, show(t));
  assert.match(t.stdout, /^pack `acme\/support` serial \d+: created /m);
  assert.match(t.stdout, /^signatures \(4\): NOT verified by inspect \(no trust file\); check them with `fmsc verify --trust FILE`$/m);
  for (const id of Object.values(ids)) assert.match(t.stdout, new RegExp(`^  ${id}  unverified$`, 'm'));
  const j = run(FMSC, ['inspect', 'p.fmspack', '--format', 'json'], dir);
  assert.is(j.status, 0, show(j));
  const doc = JSON.parse(j.stdout);
  assert.equal([doc.version, doc.kind, doc.signed, doc.verified], [1, 'container', true, false]);
  assert.is(doc.manifest.name, 'acme/support');
  assert.equal(doc.signatures.map((s: { key_id: string; status: string; algorithm: null }) => [s.key_id, s.status, s.algorithm]), [ids.a, ids.b, ids.c, ids.d].map((id) => [id, 'unverified', null]));
  assert.equal(doc.body.agents, [{ id: 'support-bot', rules: 8 }]);
  assert.is(run(FMSC, ['build', EXAMPLE, '--unsigned', '-o', 'u.fmspack'], dir).status, 0);
  const u = JSON.parse(run(FMSC, ['inspect', 'u.fmspack', '--format', 'json'], dir).stdout);
  assert.equal([u.signed, u.signatures], [false, []]);
  const ut = run(FMSC, ['inspect', 'u.fmspack'], dir);
  assert.match(ut.stdout, /^signatures: none: the pack is unsigned \(sign it with `fmsc sign`\); every verifier refuses it$/m);
  writeFileSync(join(dir, 'raw.body'), decodeContainer(readFileSync(join(dir, 'p.fmspack'))).body);
  const raw = JSON.parse(run(FMSC, ['inspect', 'raw.body', '--format', 'json'], dir).stdout);
  assert.equal([raw.kind, raw.manifest, raw.signed], ['body', null, false]);
  // I/O error in JSON mode: a JSON error document on stdout, exit 2.
  const missing = run(FMSC, ['inspect', 'nope.fmspack', '--format', 'json'], dir);
  assert.is(missing.status, 2);
  assert.match(JSON.parse(missing.stdout).error.message, /^cannot read `nope\.fmspack`: no such file$/);
});

test.run();
