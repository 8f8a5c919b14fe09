// Build step (bundle.mjs runs it once per cached CLI, in a child process with a
// scratch HOME): runs `dist/<name>.cjs` through the commands given as JSON
// argument lists, then writes the bytecode V8 compiled for it to
// `dist/<name>.cjs.cache` (see fms-boot.mjs). Every command must succeed: a
// warm-up that fails means the CLI is broken, and the build stops.
//   node compiler/scripts/code-cache.mjs dist/fms-run.cjs '["verify","p.fmspack","--trust","t.json"]' ...
import { renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { cacheHeader, loadBundle } from './fms-boot.mjs';

const [bundleArg, ...commands] = process.argv.slice(2);
const file = resolve(bundleArg);
const { exports, script, source } = loadBundle(file, true);
for (const c of commands) {
  const args = JSON.parse(c);
  await exports.main([process.execPath, file, ...args]);
  if ((process.exitCode ?? 0) !== 0) {
    console.error(`code-cache: \`${args.join(' ')}\` exited ${process.exitCode}`);
    process.exit(1);
  }
}
const data = script.createCachedData();
const tmp = `${file}.cache.${process.pid}`;
writeFileSync(tmp, Buffer.concat([Buffer.from(cacheHeader(source, data), 'latin1'), data]));
renameSync(tmp, `${file}.cache`);
