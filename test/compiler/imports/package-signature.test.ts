/**
 * Package signatures (issue 18, classes 3 and 4): a signature is a DSSE
 * statement naming ref, version and content digest, verified strictly with a
 * strong pinned key; `fmsc sign-package` makes it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeBase64 } from '@fms/runtime/crypto';
import { ed25519Spki, keyIdOf } from '@fms/runtime/crypto';
import { canonicalJsonBytes } from '@fms/runtime/format';
import { encodeEnvelope, MANIFEST_PAYLOAD_TYPE, pae } from '@fms/runtime/format';
import { PACKAGE_PAYLOAD_TYPE, packageSignatureFileText, signPackageStatement, verifyPackageSignature } from '../../../compiler/src/sign/package-statement';
import { generateKeyFile } from '../../../compiler/src/sign/local-key';
import { ROOT } from '../../helpers/paths';
import { compileStack, errorCodes, seedSigner, sha256, stack } from './package-helpers';
import { NON_CANONICAL, TORSION } from '../../helpers/ed25519-weak-keys';

const PUB = seedSigner(7);
const OTHER = seedSigner(9);
const REG = 'registry/example.com/acme/';
const V1 = 'agent "bot" {\n  rules { deny refund if amount > 100 }\n}\n';
const V2 = 'agent "bot" {\n  rules { deny refund if amount > 1000000 }\n}\n';
const trust = (b64: string) => `trust {\n  key "example.com/acme" ed25519:${b64}\n}\n`;
const STACK = (ref: string, b64 = PUB.b64) => `${trust(b64)}import "${ref}"\n\nagent "bot" {\n  default deny\n}\n`;

async function sigFile(ref: string, version: string, content: string, signer = PUB): Promise<string> {
  return packageSignatureFileText(await signPackageStatement({ ref, version, sha256: sha256(content) }, signer));
}

/** A hand-made envelope (any payload type, payload and signatures), base64 as in a `.sig` file. */
async function envelopeFile(payloadType: string, payload: Uint8Array, signers = [PUB]): Promise<string> {
  const sigs = [];
  for (const s of signers) sigs.push({ keyid: s.keyId, sig: await s.sign(pae(payloadType, payload)) });
  return encodeBase64(encodeEnvelope({ payloadType, payload, signatures: sigs })) + '\n';
}

test('a package signed for its ref, version and digest verifies; the stack builds', async () => {
  const s = stack({ [REG + 'pay@1.0.0.fms']: V1, [REG + 'pay@1.0.0.fms.sig']: await sigFile('example.com/acme/pay', '1.0.0', V1) });
  const r = compileStack(s, STACK('example.com/acme/pay@1.0.0'));
  assert.equal(errorCodes(r), []);
});

test('rollback: the 1.0.0 signature copied over 1.1.0 is refused (FMS2082)', async () => {
  const sig = await sigFile('example.com/acme/pay', '1.0.0', V1);
  // Same bytes under a new version number, and other bytes: both refused.
  for (const content of [V1, V2]) {
    const s = stack({ [REG + 'pay@1.1.0.fms']: content, [REG + 'pay@1.1.0.fms.sig']: sig });
    const r = compileStack(s, STACK('example.com/acme/pay@1.1.0'));
    const d = r.diagnostics.find((x) => x.code === 'FMS2082');
    assert.ok(d, JSON.stringify(r.diagnostics));
    assert.match(d!.message, content === V1 ? /for version `1\.0\.0`, not `1\.1\.0`/ : /version|content/);
  }
});

test('another package of the same publisher, or changed content, is refused (FMS2082)', async () => {
  const s = stack({ [REG + 'pay@1.0.0.fms']: V1, [REG + 'pay@1.0.0.fms.sig']: await sigFile('example.com/acme/other', '1.0.0', V1) });
  assert.match(compileStack(s, STACK('example.com/acme/pay@1.0.0')).diagnostics.find((x) => x.code === 'FMS2082')?.message ?? '', /for `example\.com\/acme\/other@1\.0\.0`, not `example\.com\/acme\/pay`/);
  const t = stack({ [REG + 'pay@1.0.0.fms']: V2, [REG + 'pay@1.0.0.fms.sig']: await sigFile('example.com/acme/pay', '1.0.0', V1) });
  assert.match(compileStack(t, STACK('example.com/acme/pay@1.0.0')).diagnostics.find((x) => x.code === 'FMS2082')?.message ?? '', /content sha256/);
});

test('old-style detached signatures over the bytes only are refused with a reason', async () => {
  const old = Buffer.from(await PUB.sign(new TextEncoder().encode(V1))).toString('base64');
  const s = stack({ [REG + 'pay@1.0.0.fms']: V1, [REG + 'pay@1.0.0.fms.sig']: old });
  const d = compileStack(s, STACK('example.com/acme/pay@1.0.0')).diagnostics.find((x) => x.code === 'FMS2082');
  assert.match(d?.message ?? '', /old-style signature over the file bytes only/);
});

test('payload type swaps, foreign keys, bad extra signatures, huge and malformed envelopes are refused', async () => {
  const good = { ref: 'example.com/acme/pay', version: '1.0.0', sha256: sha256(V1) };
  const payload = canonicalJsonBytes(good);
  const cases: Array<[string, string, RegExp]> = [
    ['pack manifest type', await envelopeFile(MANIFEST_PAYLOAD_TYPE, payload), /FMS2082/],
    ['signed by an unpinned key', await envelopeFile(PACKAGE_PAYLOAD_TYPE, payload, [OTHER]), /FMS2024/],
    ['prototype key in the statement', await envelopeFile(PACKAGE_PAYLOAD_TYPE, new TextEncoder().encode(`{"__proto__":{"ref":"x"},"ref":"example.com/acme/pay","sha256":"${good.sha256}","version":"1.0.0"}`)), /FMS2082/],
    ['extra field', await envelopeFile(PACKAGE_PAYLOAD_TYPE, canonicalJsonBytes({ ...good, constructor: 'x' })), /FMS2082/],
    ['not canonical json', await envelopeFile(PACKAGE_PAYLOAD_TYPE, new TextEncoder().encode(` {"ref":"example.com/acme/pay","sha256":"${good.sha256}","version":"1.0.0"}`)), /FMS2082/],
    ['wrong types', await envelopeFile(PACKAGE_PAYLOAD_TYPE, canonicalJsonBytes({ ref: 'example.com/acme/pay', sha256: good.sha256, version: 1 })), /FMS2082/],
    // Over the registry's 64 KiB bound for a signature file: refused before it is read (FMS2073).
    ['huge', encodeBase64(new Uint8Array(200_000).fill(0x20)), /FMS2073/],
    ['random bytes', encodeBase64(new Uint8Array(300).fill(7)), /FMS2082/],
  ];
  for (const [what, sig, code] of cases) {
    const s = stack({ [REG + 'pay@1.0.0.fms']: V1, [REG + 'pay@1.0.0.fms.sig']: sig });
    const r = compileStack(s, STACK('example.com/acme/pay@1.0.0'));
    assert.match(errorCodes(r).join(','), code, what);
  }
});

test('extra signatures by other keys are ignored; a bad signature under the pinned key id is not', async () => {
  const payload = canonicalJsonBytes({ ref: 'example.com/acme/pay', sha256: sha256(V1), version: '1.0.0' });
  const ok = await envelopeFile(PACKAGE_PAYLOAD_TYPE, payload, [OTHER, PUB]);
  assert.equal(errorCodes(compileStack(stack({ [REG + 'pay@1.0.0.fms']: V1, [REG + 'pay@1.0.0.fms.sig']: ok }), STACK('example.com/acme/pay@1.0.0'))), []);
  const sigs = [
    { keyid: PUB.keyId, sig: new Uint8Array(64).fill(1) },
    { keyid: PUB.keyId, sig: await PUB.sign(pae(PACKAGE_PAYLOAD_TYPE, payload)) },
  ];
  const bad = encodeBase64(encodeEnvelope({ payloadType: PACKAGE_PAYLOAD_TYPE, payload, signatures: sigs }));
  assert.equal(errorCodes(compileStack(stack({ [REG + 'pay@1.0.0.fms']: V1, [REG + 'pay@1.0.0.fms.sig']: bad }), STACK('example.com/acme/pay@1.0.0'))), ['FMS2024']);
  const many = encodeBase64(encodeEnvelope({ payloadType: PACKAGE_PAYLOAD_TYPE, payload, signatures: Array.from({ length: 17 }, () => sigs[1]!) }));
  assert.equal(errorCodes(compileStack(stack({ [REG + 'pay@1.0.0.fms']: V1, [REG + 'pay@1.0.0.fms.sig']: many }), STACK('example.com/acme/pay@1.0.0'))), ['FMS2082']);
});

test('weak trust {} keys are errors (FMS2080) and never verify: the identity key plus R = identity, S = 0', () => {
  const identity = Buffer.alloc(32);
  identity[0] = 1;
  const forged = Buffer.concat([identity, Buffer.alloc(32)]).toString('base64');
  const s = stack({ [REG + 'pay@1.0.0.fms']: V2, [REG + 'pay@1.0.0.fms.sig']: forged });
  const r = compileStack(s, STACK('example.com/acme/pay@1.0.0', identity.toString('base64')));
  assert.ok(errorCodes(r).includes('FMS2080'), JSON.stringify(r.diagnostics));
  assert.ok(errorCodes(r).some((c) => c === 'FMS2024' || c === 'FMS2082'), 'the import is not accepted either');
  // Every small-order point and non-canonical encoding.
  const weak = [...TORSION, ...NON_CANONICAL];
  for (const h of weak) {
    const r2 = compileStack(stack({}), `${trust(Buffer.from(h, 'hex').toString('base64'))}agent "bot" {\n  default deny\n}\n`);
    assert.equal(errorCodes(r2), ['FMS2080'], h);
  }
});

test('verifyPackageSignature: weak pinned keys never verify, even a signature they "made"', () => {
  const identity = new Uint8Array(32);
  identity[0] = 1;
  const forged = new Uint8Array(64);
  forged.set(identity);
  const payload = canonicalJsonBytes({ ref: 'example.com/acme/pay', sha256: sha256(V1), version: '1.0.0' });
  const env = encodeEnvelope({ payloadType: PACKAGE_PAYLOAD_TYPE, payload, signatures: [{ keyid: keyIdOf(ed25519Spki(identity)), sig: forged }] });
  const r = verifyPackageSignature(env, { ref: 'example.com/acme/pay', version: '1.0.0', sha256: sha256(V1) }, [{ raw: identity }]);
  assert.is(r.ok, false);
});


test('fmsc sign-package writes the .sig a stack verifies; --help documents it; bad refs exit 2', () => {
  const s = stack({ [REG + 'pay@1.2.3.fms']: V1 });
  const key = join(s.dir, 'publisher.pem');
  generateKeyFile(key);
  const fmsc = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const help = fmsc(['sign-package', '--help']);
  assert.is(help.status, 0);
  assert.match(help.stdout, /--ref <host\/path@version>/);
  const file = join(s.registry, 'example.com/acme/pay@1.2.3.fms');
  const out = fmsc(['sign-package', file, '--ref', 'example.com/acme/pay@1.2.3', '--key', key, '--format', 'json']);
  assert.is(out.status, 0, out.stderr);
  const j = JSON.parse(out.stdout) as { signature: string; trust_line: string; sha256: string };
  assert.is(j.signature, file + '.sig');
  assert.is(j.sha256, sha256(V1));
  assert.not.match(readFileSync(file + '.sig', 'utf8'), /PRIVATE/);
  const r = compileStack(s, `trust {\n  ${j.trust_line}\n}\nimport "example.com/acme/pay@1.2.3"\n\nagent "bot" {\n  default deny\n}\n`);
  assert.equal(errorCodes(r), []);
  // The same signature does not cover another version.
  writeFileSync(join(s.registry, 'example.com/acme/pay@1.2.4.fms'), V1);
  writeFileSync(join(s.registry, 'example.com/acme/pay@1.2.4.fms.sig'), readFileSync(file + '.sig'));
  assert.equal(errorCodes(compileStack(s, `trust {\n  ${j.trust_line}\n}\nimport "example.com/acme/pay@1.2.4"\n\nagent "bot" {\n  default deny\n}\n`)), ['FMS2082']);
  for (const bad of ['Example.com/acme/pay@1.2.3', 'example.com/../pay@1.2.3', 'example.com/acme/pay@latest', 'example.com/acme/pay']) {
    const b = fmsc(['sign-package', file, '--ref', bad, '--key', key]);
    assert.is(b.status, 2, bad);
    assert.match(b.stderr, /--ref/);
  }
  assert.is(fmsc(['sign-package', file, '--ref', 'example.com/acme/pay@1.2.3']).status, 2, 'a key is required');
});

test.run();
