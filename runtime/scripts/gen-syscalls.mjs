#!/usr/bin/env node
/**
 * Generates runtime/src/os/syscalls-x86_64.ts and syscalls-aarch64.ts from the
 * Linux uapi headers on a Debian machine, so no syscall number is ever typed
 * by hand:
 *   x86_64:  /usr/include/x86_64-linux-gnu/asm/unistd_64.h     (package linux-libc-dev)
 *   aarch64: /usr/aarch64-linux-gnu/include/asm/unistd.h        (package linux-libc-dev-arm64-cross)
 * The C preprocessor lists the `__NR_*` names (`cc -E -dM`), then a small C
 * program compiled against the same header prints each value, so macros such
 * as `__NR_fcntl __NR3264_fcntl` are resolved by the compiler, not by us.
 *
 * Usage: node runtime/scripts/gen-syscalls.mjs [--out DIR]   (needs `cc`; writes both files,
 * into runtime/src/os/ or DIR; a test regenerates into a temp DIR and compares)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outAt = process.argv.indexOf('--out');
const outDir = outAt > 0 && process.argv[outAt + 1] ? process.argv[outAt + 1] : join(root, 'runtime', 'src', 'os');
const ARCHES = [
  { arch: 'x86_64', pkg: 'linux-libc-dev', inc: '/usr/include', header: '/usr/include/x86_64-linux-gnu/asm/unistd_64.h', extra: ['-I/usr/include/x86_64-linux-gnu'] },
  { arch: 'aarch64', pkg: 'linux-libc-dev-arm64-cross', inc: '/usr/aarch64-linux-gnu/include', header: '/usr/aarch64-linux-gnu/include/asm/unistd.h', extra: [] },
];

const pkgVersion = (pkg) => execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).trim();

for (const a of ARCHES) {
  readFileSync(a.header); // fails loudly if the package is missing
  const cflags = ['-nostdinc', `-I${a.inc}`, ...a.extra, '-include', a.header];
  const macros = execFileSync('cc', ['-E', '-dM', ...cflags, '-x', 'c', '/dev/null'], { encoding: 'utf8' });
  const names = [...new Set([...macros.matchAll(/^#define __NR_([a-z0-9_]+) /gm)].map((m) => m[1]))]
    .filter((n) => n !== 'syscalls' && n !== 'arch_specific_syscall')
    .sort();
  const dir = mkdtempSync(join(tmpdir(), 'gen-syscalls-'));
  try {
    const src = join(dir, 'p.c');
    const lines = names.map((n) => `  printf("%s %ld\\n", "${n}", (long)(__NR_${n}));`).join('\n');
    writeFileSync(src, `int printf(const char *, ...);\nint main(void) {\n${lines}\n  return 0;\n}\n`);
    execFileSync('cc', [...cflags, '-o', join(dir, 'p'), src]);
    const out = execFileSync(join(dir, 'p'), { encoding: 'utf8' });
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .map(([n, v]) => [n, Number(v)])
      .sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1));
    for (const [n, v] of rows) if (!Number.isInteger(v) || v < 0 || v > 4095) throw new Error(`${a.arch}: odd number ${v} for ${n}`);
    const id = a.arch.toUpperCase().replace('-', '_');
    const body = [
      '// GENERATED FILE: do not edit. Regenerate with `node runtime/scripts/gen-syscalls.mjs`.',
      `// Source: ${a.header} (Debian ${a.pkg} ${pkgVersion(a.pkg)}),`,
      '// names listed by `cc -E -dM`, values printed by a C program compiled against the header.',
      '',
      `/** Linux ${a.arch} system calls as [name, number], ascending by number (${rows.length} entries). */`,
      `export const SYSCALLS_${id}: ReadonlyArray<readonly [string, number]> = [`,
      ...rows.map(([n, v]) => `  ['${n}', ${v}],`),
      '];',
      '',
    ].join('\n');
    writeFileSync(join(outDir, `syscalls-${a.arch}.ts`), body);
    console.log(`${a.arch}: ${rows.length} syscalls, highest ${rows.at(-1)[1]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
