/**
 * Issue 18, class 9: the lockfile is strict. Malformed entries are errors that
 * name the file (never a TypeError, never "not locked"), writes happen under an
 * exclusive lock file after re-reading (concurrent builds cannot silently
 * overwrite each other), and refs no longer imported are pruned.
 */
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LockfileError, parseLockfile, readLockfile, serializeLockfile, updateLockfile, withFileLock } from '../../../compiler/src/cli/lockfile';
import { registryResolver } from '../../../compiler/src/cli/registry';
import { compile } from '../../../compiler/src/compile';
import { ROOT } from '../../helpers/paths';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const REF = 'example.com/acme/pay@1.0.0';

/** Parses, and returns 'ok' or the LockfileError message; anything else thrown fails the test. */
function outcome(text: string): string {
  try {
    parseLockfile(text, 'governance.fms.lock');
    return 'ok';
  } catch (e) {
    if (!(e instanceof LockfileError)) throw new Error(`not a LockfileError for ${JSON.stringify(text).slice(0, 200)}: ${String(e)}`);
    assert.ok(e.message.startsWith('governance.fms.lock: '), e.message);
    assert.not.ok(e.message.includes('\n'), e.message);
    return e.message;
  }
}

test('malformed lockfiles are errors naming the file, never a TypeError or "not locked"', () => {
  const bad = [
    '',
    'null',
    '[]',
    '"x"',
    '{"version": 1, "imports": null}',
    '{"version": 1, "imports": []}',
    '{"version": 2, "imports": {}}',
    '{"imports": {}}',
    `{"version": 1, "imports": {"${REF}": null}}`,
    `{"version": 1, "imports": {"${REF}": {}}}`,
    `{"version": 1, "imports": {"${REF}": {"sha256": null}}}`,
    `{"version": 1, "imports": {"${REF}": {"sha256": ""}}}`,
    `{"version": 1, "imports": {"${REF}": {"sha256": 5}}}`,
    `{"version": 1, "imports": {"${REF}": {"sha256": "${A.toUpperCase()}"}}}`,
    `{"version": 1, "imports": {"${REF}": {"sha256": ["${A}"]}}}`,
    `{"version": 1, "imports": {"${REF}": {"sha256": "${A}", "decoy": "${B}"}}}`,
    `{"version": 1, "imports": {"__proto__": {"sha256": "${A}"}}}`,
    `{"version": 1, "imports": {"toString": {"sha256": "${A}"}}}`,
    `{"version": 1, "imports": {"example.com//acme/pay@1.0.0": {"sha256": "${A}"}}}`,
    `{"version": 1, "imports": {}, "__proto__": {"polluted": true}}`,
    `{"version": 1, "imports": {}, "extra": 1}`,
    '['.repeat(100000),
  ];
  for (const t of bad) assert.is.not(outcome(t), 'ok', t.slice(0, 80));
  assert.is(({} as Record<string, unknown>).polluted, undefined);
  assert.is(outcome(`{"version": 1, "imports": {"${REF}": {"sha256": "${A}"}}}`), 'ok');
  assert.is(outcome('{"version": 1, "imports": {}}'), 'ok');
});

test('fuzz: any JSON value, any text, prototype keys: a Lockfile or a LockfileError', () => {
  const key = fc.constantFrom('version', 'imports', 'sha256', '__proto__', 'constructor', 'toString', REF, 'hasOwnProperty', '');
  const value = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, fc.jsonValue(), fc.dictionary(key, tie('v'), { maxKeys: 4 }), fc.constantFrom(1, A, null, [], {})),
  })).v;
  fc.assert(fc.property(value, (v) => void outcome(JSON.stringify(v) ?? 'null')), { numRuns: 2000, seed: 9 });
  fc.assert(fc.property(fc.dictionary(key, value, { maxKeys: 3 }), (imports) => void outcome(JSON.stringify({ version: 1, imports }))), { numRuns: 2000, seed: 10 });
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => void outcome(s)), { numRuns: 2000, seed: 11 });
});

function stack(lock?: string): { dir: string; src: string; reg: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fms-lock-'));
  const reg = join(dir, 'registry');
  mkdirSync(join(reg, 'example.com/acme'), { recursive: true });
  writeFileSync(join(reg, 'example.com/acme/pay@1.0.0.fms'), 'agent "bot" {\n  rules { deny refund }\n}\n');
  const src = join(dir, 'governance.fms');
  writeFileSync(src, `import "${REF}"\n`);
  if (lock !== undefined) writeFileSync(src + '.lock', lock);
  return { dir, src, reg };
}

test('an entry without a digest is FMS2075 on the import, not a silent re-pin', () => {
  for (const sha of ['""', 'null', '0']) {
    const { src, reg } = stack(`{"version": 1, "imports": {"${REF}": {"sha256": ${sha}}}}`);
    const r = compile(`import "${REF}"\n`, 'governance.fms', { resolveImport: registryResolver(reg, src) });
    const d = r.diagnostics.find((x) => x.code === 'FMS2075');
    assert.ok(d, JSON.stringify(r.diagnostics));
    assert.match(d!.message, /governance\.fms\.lock: entry `example\.com\/acme\/pay@1\.0\.0` has no valid `sha256`/);
  }
});

test('updateLockfile: creates, adds, prunes stale refs, leaves an unchanged file alone, writes atomically', () => {
  const { dir, src } = stack();
  const path = src + '.lock';
  assert.equal(updateLockfile(path, []), []);
  assert.not.ok(existsSync(path), 'no imports, no lockfile: nothing written');
  assert.equal(updateLockfile(path, [{ ref: REF, sha256: A }]), [{ kind: 'created' }, { kind: 'added', ref: REF }]);
  const other = 'example.com/acme/old@2.0.0';
  writeFileSync(path, serializeLockfile({ imports: new Map([[REF, A], [other, B]]) }));
  assert.equal(updateLockfile(path, [{ ref: REF, sha256: A }]), [{ kind: 'pruned', ref: other }]);
  assert.equal([...readLockfile(path)!.imports], [[REF, A]]);
  const before = statSync(path).mtimeMs;
  assert.equal(updateLockfile(path, [{ ref: REF, sha256: A }]), []);
  assert.is(statSync(path).mtimeMs, before);
  // Nothing to change: no file lock is taken (a held one is not even waited for).
  writeFileSync(path + '.lck', `${process.pid} ${hostname()} now\n`);
  assert.equal(updateLockfile(path, [{ ref: REF, sha256: A }]), []);
  rmSync(path + '.lck');
  // A digest that differs from the lock is refused under the lock, nothing written.
  assert.throws(() => updateLockfile(path, [{ ref: REF, sha256: B }]), (e: unknown) => e instanceof LockfileError && /is locked to sha256 aaaaaaaaaaaaaaaa…/.test(e.message));
  assert.equal([...readLockfile(path)!.imports], [[REF, A]]);
  assert.equal(readdirSync(dir).sort(), ['governance.fms', 'governance.fms.lock', 'registry']);
});

test('the file lock: an abandoned lock file is taken over; a live one is waited for, then named', () => {
  const { src } = stack();
  const path = src + '.lock';
  writeFileSync(path + '.lck', `999999999 ${hostname()} 2020-01-01T00:00:00Z\n`);
  assert.is(withFileLock(path, () => 'ran'), 'ran');
  assert.not.ok(existsSync(path + '.lck'));
  writeFileSync(path + '.lck', `${process.pid} ${hostname()} now\n`);
  const t0 = Date.now();
  assert.throws(() => withFileLock(path, () => 'ran', 200), (e: unknown) => e instanceof LockfileError && e.message.includes('governance.fms.lock.lck') && e.message.includes(String(process.pid)));
  assert.ok(Date.now() - t0 < 5000);
});

test('concurrent builds: exactly one locks a ref; the others are refused instead of overwriting it', async () => {
  const { src } = stack();
  const path = src + '.lock';
  const start = Date.now() + 1500;
  const code = (sha: string) =>
    `const { updateLockfile } = await import(${JSON.stringify(join(ROOT, 'compiler/src/cli/lockfile.ts'))});` +
    `while (Date.now() < ${start}) {}` +
    `try { updateLockfile(${JSON.stringify(path)}, [{ ref: ${JSON.stringify(REF)}, sha256: ${JSON.stringify(sha)} }]); console.log('ok'); } catch (e) { console.log('refused: ' + e.message); }`;
  const shas = ['1', '2', '3', '4', '5'].map((c) => c.repeat(64));
  const outs = await Promise.all(
    shas.map(
      (sha) =>
        new Promise<string>((resolve) => {
          const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code(sha)], { cwd: ROOT });
          let out = '';
          p.stdout.on('data', (b) => (out += b));
          p.on('close', () => resolve(out.trim()));
        }),
    ),
  );
  const winners = outs.filter((o) => o === 'ok');
  assert.is(winners.length, 1, outs.join('\n'));
  for (const o of outs.filter((x) => x !== 'ok')) assert.match(o, /^refused: .*governance\.fms\.lock: `example\.com\/acme\/pay@1\.0\.0` is locked to sha256/);
  const locked = readLockfile(path)!.imports.get(REF)!;
  assert.is(outs[shas.indexOf(locked)], 'ok');
  assert.not.ok(existsSync(path + '.lck'));
  assert.is(readFileSync(path, 'utf8'), serializeLockfile({ imports: new Map([[REF, locked]]) }));
});

test.run();
