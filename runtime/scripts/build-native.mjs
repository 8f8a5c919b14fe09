#!/usr/bin/env node
/**
 * Builds runtime/native/fms-exec.c into dist/fms-exec with the system C
 * compiler (`$CC`, default `cc`), statically linked when libc.a is there. No compiler: one line on stderr and exit 1
 * (set FMS_SKIP_NATIVE=1 to build the rest without the loader; `fms-run exec`
 * then refuses with its own one-line reason).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cc = process.env.CC || 'cc';
const out = join(root, 'dist', 'fms-exec');
if (process.env.FMS_SKIP_NATIVE === '1') {
  console.error('build-native: FMS_SKIP_NATIVE=1: dist/fms-exec not built');
  process.exit(0);
}
mkdirSync(dirname(out), { recursive: true });
const args = ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', '-o', out, join(root, 'runtime', 'native', 'fms-exec.c')];
// Static when the C library allows it: no dynamic loader at start (about 0.3 ms less per agent start).
let r = spawnSync(cc, ['-static', ...args], { stdio: ['ignore', 'ignore', 'ignore'] });
if (r.error || r.status !== 0) r = spawnSync(cc, args, { stdio: 'inherit' });
if (r.error && r.error.code === 'ENOENT') {
  console.error(`build-native: no C compiler \`${cc}\` found: install one (Debian: apt-get install gcc) or set FMS_SKIP_NATIVE=1 to build without fms-exec`);
  process.exit(1);
}
if (r.status !== 0) {
  console.error(`build-native: \`${cc}\` failed to build runtime/native/fms-exec.c (exit ${r.status ?? r.signal})`);
  process.exit(1);
}
