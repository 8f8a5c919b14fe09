import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultStateDir, FileRollbackStore, MemoryRollbackStore, PackRefusal, verifyPack } from '../../../runtime/src/trust/verify';
import { ed25519Key, makePack, NOW, tempDir, trustFor } from './fixtures';

const mark = { serial: 7, manifest_sha256: 'a'.repeat(64), body_sha256: 'b'.repeat(64) };

test('default location honours FMS_STATE_DIR, then XDG_STATE_HOME, then ~/.local/state/fms', () => {
  assert.is(defaultStateDir({ FMS_STATE_DIR: '/x/state' }), '/x/state');
  assert.is(defaultStateDir({ XDG_STATE_HOME: '/xdg' }), '/xdg/fms');
  assert.match(defaultStateDir({}), /\.local\/state\/fms$/);
});

test('file store persists across instances, atomically, mode 0600, no temp files left', () => {
  const dir = tempDir('fms-state-');
  const s1 = new FileRollbackStore(dir);
  assert.is(s1.get('acme/x'), undefined);
  s1.put('acme/x', mark);
  const s2 = new FileRollbackStore(dir);
  assert.equal(s2.get('acme/x'), mark);
  assert.is(s2.get('acme/y'), undefined);
  const files = readdirSync(join(dir, 'rollback'));
  assert.is(files.length, 1);
  assert.ok(files[0]!.endsWith('.json'));
  assert.is(statSync(join(dir, 'rollback', files[0]!)).mode & 0o777, 0o600);
  s2.put('acme/x', { ...mark, serial: 8 });
  assert.is(new FileRollbackStore(dir).get('acme/x')?.serial, 8);
  assert.is(readdirSync(join(dir, 'rollback')).length, 1);
});

test('a corrupt state file refuses instead of forgetting the mark', () => {
  const dir = tempDir('fms-state-');
  const s = new FileRollbackStore(dir);
  s.put('acme/x', mark);
  const f = join(dir, 'rollback', readdirSync(join(dir, 'rollback'))[0]!);
  writeFileSync(f, '{"name":"acme/x","serial":"7"}');
  try {
    s.get('acme/x');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, PackRefusal);
    assert.is((e as PackRefusal).code, 'state');
  }
});

test('rollback protection survives a restart (file store)', async () => {
  const dir = tempDir('fms-state-');
  const A = ed25519Key(dir, 'a');
  const trust = trustFor([A]);
  verifyPack(await makePack(A, { serial: 3 }), { trust, state: new FileRollbackStore(dir), now: NOW });
  try {
    verifyPack(await makePack(A, { serial: 2 }), { trust, state: new FileRollbackStore(dir), now: NOW });
    assert.unreachable();
  } catch (e) {
    assert.is((e as PackRefusal).code, 'rollback');
  }
});

test('memory store returns copies', () => {
  const m = new MemoryRollbackStore();
  m.put('a', mark);
  const got = m.get('a')!;
  got.serial = 1;
  assert.is(m.get('a')?.serial, 7);
});

test.run();
