#!/usr/bin/env node
/**
 * Builds runtime/native/fms-exec.c into dist/fms-exec with the system C
 * compiler (`$CC`, default `cc`), statically linked when libc.a is there.
 * No compiler: one line on stderr saying `fms-run exec` needs the loader, and
 * exit 0, so the README's first command works on a machine without one
 * (`fms-run exec` then refuses with its own one-line reason); under `CI=true`
 * a missing compiler fails the build. A compiler that fails is always exit 1.
 * FMS_SKIP_NATIVE=1 skips the loader on purpose.
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
  const ci = process.env.CI === 'true';
  console.error(`build-native: no C compiler \`${cc}\`: dist/fms-exec not built, so \`fms-run exec\` is unavailable (install one, e.g. Debian: apt-get install gcc, then run npm run build again)${ci ? '; required under CI=true' : ''}`);
  process.exit(ci ? 1 : 0);
}
if (r.status !== 0) {
  console.error(`build-native: \`${cc}\` failed to build runtime/native/fms-exec.c (exit ${r.status ?? r.signal})`);
  process.exit(1);
}
