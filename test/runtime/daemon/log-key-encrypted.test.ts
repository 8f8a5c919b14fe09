// `fms-run serve --log-key file:KEY` with a passphrase-encrypted key from
// `fmsc keygen --passphrase` (issue 16): the daemon never prompts, it reads
// FMS_KEY_PASSWORD; a missing or wrong passphrase is one line that never
// contains the passphrase; the decrypted key signs checkpoints that verify.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyFile, localEd25519Signer } from '@fms/compiler/sign';
import { fileSigner, openSigner, SignerError } from '../../../runtime/src/daemon/signer';

const dir = mkdtempSync(join(tmpdir(), 'fms-log-key-enc-'));
const key = join(dir, 'log.pem');
const PASS = 'correct horse battery staple';
generateKeyFile(key, { passphrase: PASS });

test('without FMS_KEY_PASSWORD: a one-line refusal that names the variable', () => {
  try {
    fileSigner(key, {});
    assert.unreachable('an encrypted key opened without a passphrase');
  } catch (e) {
    assert.instance(e, SignerError);
    const m = (e as Error).message;
    assert.not.match(m, /\n/);
    assert.match(m, /is encrypted: set FMS_KEY_PASSWORD/);
  }
});

test('a wrong passphrase: one line, the passphrase never in it', () => {
  for (const wrong of ['wrong', PASS + ' ']) {
    try {
      fileSigner(key, { FMS_KEY_PASSWORD: wrong });
      assert.unreachable('wrong passphrase accepted');
    } catch (e) {
      assert.instance(e, SignerError);
      const m = (e as Error).message;
      assert.match(m, /^cannot decrypt log key `.*`: wrong passphrase \(FMS_KEY_PASSWORD\)$/);
      assert.not.ok(m.includes(PASS), 'the message holds the real passphrase');
      if (wrong !== 'wrong') assert.not.ok(m.includes(wrong), 'the message holds the given passphrase');
    }
  }
});

test('the right passphrase (fileSigner and openSigner file:): the same key id as fmsc reads, signatures verify', async () => {
  const env = { FMS_KEY_PASSWORD: PASS };
  const s = fileSigner(key, env);
  const viaUri = await openSigner(`file:${key}`, env);
  const fmsc = localEd25519Signer(key, { env });
  assert.is(s.keyId, fmsc.keyId);
  assert.is(viaUri.keyId, fmsc.keyId);
  const msg = new TextEncoder().encode('checkpoint bytes');
  const sig = await viaUri.sign(msg);
  const pub = createPublicKey({ key: Buffer.from(fmsc.publicKeySpki), format: 'der', type: 'spki' });
  assert.ok(verify(null, msg, pub, sig));
});

test('a FIFO named as the log key is refused at once (opened non-blocking, as fmsc opens key files), not waited on', () => {
  const fifo = join(dir, 'fifo.pem');
  if (spawnSync('mkfifo', ['-m', '600', fifo]).status !== 0) assert.unreachable('mkfifo failed');
  assert.throws(() => fileSigner(fifo, {}), (e: Error) => e instanceof SignerError && /^log key `.*` is not a regular file$/.test(e.message));
});

test.run();
