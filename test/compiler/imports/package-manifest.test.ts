/**
 * The pack records what it was built from (issue 18, class 10): every
 * import's canonical ref and sha256 in the signed manifest, strictly
 * validated on read, shown by `fmsc inspect` and `verify --format json`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalJsonBytes, type Json } from '@fms/runtime/format';
import { decodeManifest, encodeManifest, MAX_MANIFEST_IMPORTS, type PackManifest } from '@fms/runtime/format';
import { ROOT } from '../../helpers/paths';
import { sha256, stack } from './package-helpers';

const PKG = 'agent "bot" {\n  rules { deny refund if amount > 100 }\n}\n';
const BASE: PackManifest = {
  name: 'acme/x',
  serial: 1,
  created_at: '2026-01-01T00:00:00Z',
  not_before: '2026-01-01T00:00:00Z',
  expires_at: '2026-02-01T00:00:00Z',
  body: { sha256: 'a'.repeat(64), size: 1 },
  compiler: { name: 'fmsc', version: '0.1.0' },
  source_sha256: 'b'.repeat(64),
};

test('fmsc build records each import in the signed manifest; inspect and both verify --format json show it', () => {
  const s = stack({ 'registry/example.com/acme/pay@1.0.0.fms': PKG, 'governance.fms': 'import "example.com/acme/pay@1.0.0"\n\nagent "bot" {\n  default permit\n}\n' });
  // CI: '' on purpose: these builds sign with the development key, which `fmsc build` refuses under CI=true
  const env = { ...process.env, NO_COLOR: '1', FMS_HOME: join(s.dir, 'home'), FMS_TRUST: '', CI: '' };
  const out = join(s.dir, 'x.fmspack');
  const cli = (bin: string, args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist', bin), ...args], { encoding: 'utf8', env });
  const b = cli('fmsc.mjs', ['build', s.src, '--registry', s.registry, '--no-locked', '-o', out]);
  assert.is(b.status, 0, b.stderr);
  const expected = [{ ref: 'example.com/acme/pay@1.0.0', sha256: sha256(PKG) }];
  const trust = join(s.dir, 'home', 'dev-trust.json');
  for (const bin of ['fmsc.mjs', 'fms-run.mjs']) {
    const v = cli(bin, ['verify', out, '--trust', trust, '--format', 'json', ...(bin === 'fms-run.mjs' ? ['--state-dir', join(s.dir, 'state')] : [])]);
    assert.is(v.status, 0, v.stderr);
    assert.equal((JSON.parse(v.stdout) as { imports: unknown }).imports, expected, bin);
  }
  const i = cli('fmsc.mjs', ['inspect', out]);
  assert.is(i.status, 0, i.stderr);
  assert.match(i.stdout, new RegExp(`imports: 1\\n  import example\\.com/acme/pay@1\\.0\\.0 sha256:${sha256(PKG)}`));
});

test('a pack with no imports records an empty list; packs made before the field still decode', () => {
  assert.equal(decodeManifest(encodeManifest({ ...BASE, imports: [] })).imports, []);
  assert.is(decodeManifest(encodeManifest(BASE)).imports, undefined);
});

test('manifest imports are validated strictly on read', () => {
  const h = 'c'.repeat(64);
  const bad: Array<[string, Json]> = [
    ['not a list', { ref: 'example.com/a/b@1.0.0', sha256: h }],
    ['extra field', [{ ref: 'example.com/a/b@1.0.0', sha256: h, note: 'x' }]],
    ['prototype key', [JSON.parse(`{"ref":"example.com/a/b@1.0.0","sha256":"${h}","__proto__":{"x":1}}`) as Json]],
    ['missing sha', [{ ref: 'example.com/a/b@1.0.0' }]],
    ['upper-case host', [{ ref: 'Example.com/a/b@1.0.0', sha256: h }]],
    ['dot-dot segment', [{ ref: 'example.com/../b@1.0.0', sha256: h }]],
    ['unpinned', [{ ref: 'example.com/a/b@latest', sha256: h }]],
    ['no path', [{ ref: 'example.com@1.0.0', sha256: h }]],
    ['short digest', [{ ref: 'example.com/a/b@1.0.0', sha256: 'abc' }]],
    ['wrong type', [{ ref: 42, sha256: h }]],
    ['unsorted', [{ ref: 'example.com/b/b@1.0.0', sha256: h }, { ref: 'example.com/a/b@1.0.0', sha256: h }]],
    ['duplicate', [{ ref: 'example.com/a/b@1.0.0', sha256: h }, { ref: 'example.com/a/b@1.0.0', sha256: h }]],
    ['too many', Array.from({ length: MAX_MANIFEST_IMPORTS + 1 }, (_, i) => ({ ref: `example.com/a/p${String(i).padStart(4, '0')}@1.0.0`, sha256: h }))],
  ];
  const { imports: _none, ...plain } = BASE;
  for (const [what, imports] of bad) {
    const payload = canonicalJsonBytes({ ...(plain as unknown as Record<string, Json>), imports } as Json);
    assert.throws(() => decodeManifest(payload), /malformed manifest/, what);
  }
  const ok = [{ ref: 'example.com/a/b@1.0.0', sha256: h }, { ref: 'xn--exmple-cua.com/a/b@2.0.0-rc.1', sha256: h }];
  assert.equal(decodeManifest(encodeManifest({ ...BASE, imports: ok })).imports, ok);
});

test.run();
