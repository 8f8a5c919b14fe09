/**
 * The registry resolver and its settings, directly: where the registry is,
 * when locked mode is on, and the refusals that need no fuzzing to find.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lockedMode, registryDir, registryResolver } from '../../../compiler/src/cli/registry';
import type { Import } from '../../../compiler/src/ir/types';

const loc = { file: 'governance.fms', line: 1, col: 1, span: { start: 0, end: 0 } };
const imp = (ref: string, host: string, path: string, version: string): Import => ({ ref, host, path, version, loc });

test('registry folder: flag, then FMS_REGISTRY (empty = unset), then .fms/registry next to the source (stdin: the current folder)', () => {
  assert.is(registryDir('/r', '/s/governance.fms', { FMS_REGISTRY: '/e' }), '/r');
  assert.is(registryDir(undefined, '/s/governance.fms', { FMS_REGISTRY: '/e' }), '/e');
  assert.is(registryDir(undefined, '/s/governance.fms', { FMS_REGISTRY: '' }), '/s/.fms/registry');
  assert.is(registryDir(undefined, '/s/governance.fms', {}), '/s/.fms/registry');
  assert.is(registryDir(undefined, '-', {}), resolve('.fms/registry'));
});

test('locked mode: the flag wins; otherwise on when CI is true or 1', () => {
  for (const [flag, ci, want] of [
    [undefined, 'true', true],
    [undefined, 'TRUE', true],
    [undefined, '1', true],
    [undefined, 'false', false],
    [undefined, '', false],
    [undefined, undefined, false],
    [false, 'true', false],
    [true, undefined, true],
  ] as Array<[boolean | undefined, string | undefined, boolean]>) {
    const env: NodeJS.ProcessEnv = ci === undefined ? {} : { CI: ci };
    assert.is(lockedMode(flag, env), want, `${flag} ${ci}`);
  }
});

test('the resolver refuses parts that disagree with the ref, a missing registry, and a signature that leads out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fms-reg-'));
  const reg = join(dir, 'registry');
  mkdirSync(join(reg, 'example.com/acme'), { recursive: true });
  writeFileSync(join(reg, 'example.com/acme/pay@1.0.0.fms'), 'agent "x" {\n  default deny\n}\n');
  writeFileSync(join(dir, 'secret'), 'SECRET');
  const src = join(dir, 'governance.fms');
  const r = registryResolver(reg, src);
  const ok = r(imp('example.com/acme/pay@1.0.0', 'example.com', 'acme/pay', '1.0.0'));
  assert.ok(!('error' in ok), JSON.stringify(ok));
  // A decoy ref whose parts point elsewhere (the lock is keyed by the ref, the path by the parts).
  const decoy = r(imp('example.com/acme/other@1.0.0', 'example.com', 'acme/pay', '1.0.0'));
  assert.ok('error' in decoy && decoy.code === 'FMS2070', JSON.stringify(decoy));
  // Non-canonical parts never become a path.
  const up = r(imp('x', '..', 'secret', '1.0.0'));
  assert.ok('error' in up && up.code === 'FMS2070');
  // The signature is read with the same rules as the package.
  symlinkSync(join(dir, 'secret'), join(reg, 'example.com/acme/pay@1.0.0.fms.sig'));
  const sig = r(imp('example.com/acme/pay@1.0.0', 'example.com', 'acme/pay', '1.0.0'));
  assert.ok('error' in sig && sig.code === 'FMS2073' && /\.sig` is refused: its real path is outside the registry folder/.test(sig.error), JSON.stringify(sig));
  // No registry folder at all: one line that says so.
  const none = registryResolver(join(dir, 'nope'), src)(imp('example.com/acme/pay@1.0.0', 'example.com', 'acme/pay', '1.0.0'));
  assert.ok('error' in none && /registry folder `[^`]*nope` does not exist/.test(none.error), JSON.stringify(none));
});

test.run();
