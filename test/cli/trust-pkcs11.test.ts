// Acceptance of issue 16 with a real PKCS#11 token (SoftHSM2, keys generated
// inside it, non-extractable): `fmsc trust add --kms pkcs11:…` pins the HSM
// key, `fmsc build --kms pkcs11:…` under CI=true signs with it alone (exactly
// one signature, no development key), and `fms-run verify` accepts the pack
// with that trust file. Skips loudly without SoftHSM2; fails under CI=true.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPackUnverified } from '@fms/compiler/sign';
import { createSoftHsm, generateTokenKeys, requireSoftHsmOrSkip, type SoftHsm } from '../helpers/softhsm';
import { EXAMPLE, FMS_RUN, FMSC, run, scratch, show } from './cli-env';

const haveHsm = requireSoftHsmOrSkip('trust-pkcs11 (SoftHSM2)');
const dir = scratch('fms-trust-p11-');
let hsm: SoftHsm;

test.before(() => {
  if (!haveHsm) return;
  hsm = createSoftHsm('fms-trust');
  generateTokenKeys(hsm, [
    { label: 'release', id: 1, kind: 'p256' },
    { label: 'release-ed', id: 2, kind: 'ed25519' },
  ]);
});

test.after(() => {
  if (haveHsm) hsm.cleanup();
});

test('trust add --kms pkcs11 → build --kms pkcs11 (CI=true) → exactly one signature → fms-run verify ok; fmsc verify names the pinned key', () => {
  if (!haveHsm) return;
  const env = { SOFTHSM2_CONF: hsm.conf };
  const trust = join(dir, 'trust.json');
  const uri = hsm.uri('release');
  assert.is(run(FMSC, ['trust', 'init', trust], dir, env).status, 0);
  const add = run(FMSC, ['trust', 'add', trust, '--kms', uri, '--scope', 'acme/payments', '--comment', 'release hsm', '--format', 'json'], dir, env);
  assert.is(add.status, 0, show(add));
  const pinned = JSON.parse(add.stdout) as { key_id: string; algorithm: string };
  assert.is(pinned.algorithm, 'ecdsa-p256-sha256');
  assert.not.match(readFileSync(trust, 'utf8'), /pin|PRIVATE/i);

  const build = run(FMSC, ['build', EXAMPLE, '--name', 'acme/payments', '--kms', uri, '-o', 'p.fmspack'], dir, { ...env, CI: 'true' });
  assert.is(build.status, 0, show(build));
  assert.not.match(build.stderr, /development key/);
  const sigs = readPackUnverified(readFileSync(join(dir, 'p.fmspack'))).keyIds;
  assert.equal(sigs, [pinned.key_id], 'exactly one signature, by the HSM key');

  const v = run(FMS_RUN, ['verify', 'p.fmspack', '--trust', trust, '--no-state'], dir, env);
  assert.is(v.status, 0, show(v));
  assert.match(v.stdout, new RegExp(`signed by 1 pinned key\\(s\\): ${pinned.key_id}`));
  const j = run(FMSC, ['verify', 'p.fmspack', '--trust', trust, '--format', 'json'], dir, env);
  assert.is(j.status, 0, show(j));
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.signatures, [{ key_id: pinned.key_id, algorithm: 'ecdsa-p256-sha256', status: 'verified', comment: 'release hsm' }]);
  assert.equal(doc.scope, { prefix: 'acme/payments', threshold: 1, keys: 1, min_serial: 0 });
});

test('an Ed25519 HSM key and a key file together: two signatures, threshold 2 met; the same HSM key twice is refused', () => {
  if (!haveHsm) return;
  const env = { SOFTHSM2_CONF: hsm.conf };
  const trust = join(dir, 'two.json');
  const uri = hsm.uri('release-ed', ';id=%02');
  assert.is(run(FMSC, ['keygen', 'k.pem'], dir).status, 0);
  assert.is(run(FMSC, ['trust', 'init', trust], dir).status, 0);
  assert.is(run(FMSC, ['trust', 'add', trust, '--kms', uri], dir, env).status, 0);
  const add = run(FMSC, ['trust', 'add', trust, '--key', 'k.pem', '--threshold', '2'], dir, env);
  assert.is(add.status, 0, show(add));
  const b = run(FMSC, ['build', EXAMPLE, '--kms', uri, '--key', 'k.pem', '-o', 'two.fmspack'], dir, { ...env, CI: 'true' });
  assert.is(b.status, 0, show(b));
  assert.is(readPackUnverified(readFileSync(join(dir, 'two.fmspack'))).keyIds.length, 2);
  const v = run(FMS_RUN, ['verify', 'two.fmspack', '--trust', trust, '--no-state'], dir, env);
  assert.is(v.status, 0, show(v));
  const dup = run(FMSC, ['build', EXAMPLE, '--kms', uri, '--kms', uri, '-o', 'dup.fmspack'], dir, env);
  assert.is(dup.status, 2, show(dup));
  assert.match(dup.stderr, /is named twice \(--kms pkcs11:.* and --kms pkcs11:/);
  // A PIN typed into the URI never reaches a message.
  const withPin = `pkcs11:token=${hsm.token};object=release-ed?module-path=${hsm.module}&pin-value=${hsm.pin}`;
  const dupPin = run(FMSC, ['build', EXAMPLE, '--kms', withPin, '--kms', withPin, '-o', 'dup.fmspack'], dir, env);
  assert.is(dupPin.status, 2, show(dupPin));
  assert.match(dupPin.stderr, /pin-value=\*\*\*/);
  assert.not.ok((dupPin.stderr + dupPin.stdout).includes(hsm.pin), 'the PIN is never printed');
  const badPin = `pkcs11:token=${hsm.token};object=nope?module-path=${hsm.module}&pin-value=${hsm.pin}`;
  for (const r of [run(FMSC, ['build', EXAMPLE, '--kms', badPin, '-o', 'x.fmspack'], dir, env), run(FMSC, ['trust', 'add', trust, '--kms', badPin], dir, env)]) {
    assert.is(r.status, 2, show(r));
    assert.not.ok((r.stderr + r.stdout).includes(hsm.pin), 'the PIN is never printed');
  }
});

test.run();
