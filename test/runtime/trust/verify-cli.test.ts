// `fms-run verify` and `fmsc verify`: exit codes 0 / 2 / 3, one-line reasons, FMS_TRUST, rollback state.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ROOT, runCli } from '../../compiler/sign/cli';
import { ed25519Key, makePack, tempDir, trustJson } from './fixtures';

const recent = { createdAt: new Date(Date.now() - 60_000) };

test('accepts a good pack, refuses a bad one with exit 3 and one line; no trust → exit 2', async () => {
  const dir = tempDir();
  const a = ed25519Key(dir, 'a');
  const b = ed25519Key(dir, 'b');
  const pack = join(dir, 'p.fmspack');
  writeFileSync(pack, await makePack(a, recent));
  const trust = join(dir, 'trust.json');
  writeFileSync(trust, JSON.stringify(trustJson([a])));
  const other = join(dir, 'other.json');
  writeFileSync(other, JSON.stringify(trustJson([b])));
  for (const cli of ['fms-run', 'fmsc'] as const) {
    const ok = await runCli(cli, ['verify', pack, '--trust', trust, ...(cli === 'fms-run' ? ['--no-state'] : [])]);
    assert.is(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^ok: pack `acme\/payments` serial 1/);
    const viaEnv = await runCli(cli, ['verify', pack, '--format', 'json', ...(cli === 'fms-run' ? ['--no-state'] : [])], { FMS_TRUST: trust });
    assert.is(viaEnv.code, 0, viaEnv.stderr);
    assert.is((JSON.parse(viaEnv.stdout) as { name: string }).name, 'acme/payments');
    const no = await runCli(cli, ['verify', pack, '--trust', other, ...(cli === 'fms-run' ? ['--no-state'] : [])]);
    assert.is(no.code, 3);
    assert.is(no.stderr.trim().split('\n').length, 1);
    assert.match(no.stderr, /refused .*requires 1.* \[threshold\]$/m);
    const noTrust = await runCli(cli, ['verify', pack]);
    assert.is(noTrust.code, 2);
    assert.match(noTrust.stderr, /no trust roots: pass `--trust FILE` or set `FMS_TRUST`/);
  }
  writeFileSync(join(dir, 'trunc.fmspack'), (await makePack(a, recent)).subarray(0, 50));
  const t = await runCli('fms-run', ['verify', join(dir, 'trunc.fmspack'), '--trust', trust, '--no-state']);
  assert.is(t.code, 3);
  assert.match(t.stderr, /truncated/);
  assert.is((await runCli('fms-run', ['verify', join(dir, 'missing.fmspack'), '--trust', trust, '--no-state'])).code, 2);
  writeFileSync(join(dir, 'bad-trust.json'), '{"version":1,"keys":[],"scopes":[],"x":1}');
  const bt = await runCli('fms-run', ['verify', pack, '--trust', join(dir, 'bad-trust.json'), '--no-state']);
  assert.is(bt.code, 3);
  assert.match(bt.stderr, /invalid trust file: unknown field `x`/);
});

test('fms-run verify keeps a rollback high-water mark in --state-dir / FMS_STATE_DIR', async () => {
  const dir = tempDir();
  const a = ed25519Key(dir, 'a');
  const trust = join(dir, 'trust.json');
  writeFileSync(trust, JSON.stringify(trustJson([a])));
  const p2 = join(dir, 'p2.fmspack');
  const p1 = join(dir, 'p1.fmspack');
  writeFileSync(p2, await makePack(a, { ...recent, serial: 2 }));
  writeFileSync(p1, await makePack(a, { ...recent, serial: 1 }));
  const state = join(dir, 'state');
  assert.is((await runCli('fms-run', ['verify', p2, '--trust', trust], { FMS_STATE_DIR: state })).code, 0);
  const back = await runCli('fms-run', ['verify', p1, '--trust', trust, '--state-dir', state]);
  assert.is(back.code, 3);
  assert.match(back.stderr, /older than the last accepted serial 2 \[rollback\]/);
  // fmsc verify is an offline check: no state unless asked
  assert.is((await runCli('fmsc', ['verify', p1, '--trust', trust])).code, 0);
  assert.is((await runCli('fmsc', ['verify', p1, '--trust', trust, '--state-dir', state])).code, 3);
});

test("fms-run's verify path imports no compiler or kms code", async () => {
  const r = await build({
    entryPoints: [join(ROOT, 'runtime/src/cli/commands/verify.ts'), join(ROOT, 'runtime/src/trust/verify.ts')],
    bundle: true,
    write: false,
    outdir: join(tempDir(), 'out'),
    platform: 'node',
    format: 'esm',
    metafile: true,
    external: ['commander'],
    logLevel: 'silent',
  });
  const inputs = Object.keys(r.metafile.inputs);
  assert.ok(inputs.some((i) => i.includes('runtime/src/trust/verify.ts')));
  for (const i of inputs) {
    assert.not.match(i, /compiler\//, i);
    assert.not.match(i, /pkcs11|kms|@noble/, i);
  }
});

test.run();
