// The syscall tables are generated, never typed by hand: regenerating them from
// the uapi headers on this machine gives the committed files byte for byte.
// Needs cc and the Debian headers (linux-libc-dev, linux-libc-dev-arm64-cross):
// skips loudly without them, FAILS under CI=true.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../../helpers/paths';
import { KNOWN_SYSCALLS, maxSyscall, syscallNames, syscallNumbers } from '../../../runtime/src/os/syscalls';

const SUITE = 'syscall tables';
const headers = ['/usr/include/x86_64-linux-gnu/asm/unistd_64.h', '/usr/aarch64-linux-gnu/include/asm/unistd.h'];
const why = spawnSync('cc', ['--version']).status !== 0 ? 'no C compiler `cc`' : headers.find((h) => !existsSync(h)) ? `missing ${headers.find((h) => !existsSync(h))} (scripts/install-system-deps.sh)` : undefined;
if (why) {
  if (process.env.CI === 'true') throw new Error(`${SUITE}: required when CI=true: ${why}`);
  process.stderr.write(`\n!!! ${SUITE}: regeneration check SKIPPED (${why})\n`);
} else {
  test('regenerating the tables from the headers gives the committed files exactly', () => {
    const out = mkdtempSync(join(tmpdir(), 'fms-syscalls-'));
    const r = spawnSync(process.execPath, [join(ROOT, 'runtime/scripts/gen-syscalls.mjs'), '--out', out], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    for (const arch of ['x86_64', 'aarch64']) {
      assert.fixture(readFileSync(join(out, `syscalls-${arch}.ts`), 'utf8'), readFileSync(join(ROOT, `runtime/src/os/syscalls-${arch}.ts`), 'utf8'));
    }
  });
}

test('well-known numbers, and lookups never reach Object.prototype', () => {
  assert.is(syscallNumbers('x86_64').get('read'), 0);
  assert.is(syscallNumbers('x86_64').get('ptrace'), 101);
  assert.is(syscallNumbers('aarch64').get('ptrace'), 117);
  assert.is(syscallNumbers('aarch64').get('open'), undefined); // aarch64 has only openat
  assert.is(syscallNames('aarch64').get(56), 'openat');
  assert.ok(maxSyscall('x86_64') >= 450 && maxSyscall('aarch64') >= 450);
  for (const n of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) assert.not.ok(KNOWN_SYSCALLS.has(n) || syscallNumbers('x86_64').has(n), n);
});

test.run();
