// The runtime is embeddable on its own (DESIGN §2): its npm tarball installs
// into an empty folder, offline, with no compiler in the install tree, and
// verifies + decides a signed pack there — through the library and through
// the fms-run bin. Fails under CI=true when it cannot run; skips loudly otherwise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, emitPackBody } from '@fms/compiler';
import { createSignedPack, generateKeyFile, localEd25519Signer, trustEntryFor } from '@fms/compiler/sign';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const CI = process.env.CI === 'true';
const work = mkdtempSync(join(tmpdir(), 'fms-runtime-install-'));
const consumer = join(work, 'consumer');

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env, timeout: 120_000 });
}

/** Why the environment cannot run this test (no npm), or null. */
function cannotRun(): string | null {
  const v = run('npm', ['--version'], ROOT);
  return v.status === 0 ? null : `npm is not on PATH (${v.error?.message ?? v.stderr.trim()})`;
}

/** Every lockfile entry the runtime's dependencies need, from the repository's lockfile (what `npm ci` installed, so the npm cache holds it). */
function lockEntriesFor(deps: string[]): Record<string, unknown> {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const out: Record<string, unknown> = {};
  const todo = [...deps];
  while (todo.length) {
    const name = todo.pop()!;
    const key = `node_modules/${name}`;
    if (Object.hasOwn(out, key)) continue;
    const e = lock.packages[key];
    if (!e) throw new Error(`package-lock.json has no ${key}`);
    out[key] = { ...e, extraneous: true };
    todo.push(...Object.keys((e.dependencies as Record<string, string> | undefined) ?? {}));
  }
  return out;
}

/** Names of every package in an install tree (`node_modules/**`). */
function installedPackages(dir: string): string[] {
  const out: string[] = [];
  const walk = (nm: string): void => {
    if (!existsSync(nm)) return;
    for (const n of readdirSync(nm)) {
      if (n.startsWith('.')) continue;
      if (n.startsWith('@')) {
        for (const m of readdirSync(join(nm, n))) {
          out.push(`${n}/${m}`);
          walk(join(nm, n, m, 'node_modules'));
        }
      } else {
        out.push(n);
        walk(join(nm, n, 'node_modules'));
      }
    }
  };
  walk(join(dir, 'node_modules'));
  return out.sort();
}

test('npm pack of @fms/runtime installs offline into an empty folder and verifies + decides a pack there', async () => {
  const why = cannotRun();
  if (why) {
    if (CI) assert.unreachable(`runtime install test cannot run under CI: ${why}`);
    console.warn(`\n!!! SKIPPED runtime install test: ${why}\n`);
    return;
  }

  // 1. the tarball, as `npm run package -w @fms/runtime` makes it
  const packed = run(process.execPath, [join(ROOT, 'runtime/scripts/pack.mjs'), '--out', work], ROOT);
  assert.is(packed.status, 0, packed.stderr);
  const tgz = packed.stdout.trim().split('\n').pop()!;
  assert.is(basename(tgz), 'fms-runtime-0.1.0.tgz');
  const listing = run('tar', ['-tzf', tgz], work);
  assert.is(listing.status, 0, listing.stderr);
  const files = listing.stdout.trim().split('\n');
  for (const f of ['package/package.json', 'package/lib/index.js', 'package/lib/format.js', 'package/lib/fms-run.js', 'package/lib/types/index.d.ts']) assert.ok(files.includes(f), `${f} in the tarball`);
  assert.equal(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), [], 'no TypeScript sources in the tarball');

  // 2. an empty folder; the runtime's dependencies come from the npm cache (offline)
  mkdirSync(consumer);
  const manifest = JSON.parse(run('tar', ['-xzOf', tgz, 'package/package.json'], work).stdout) as { dependencies: Record<string, string>; devDependencies?: unknown; exports: Record<string, unknown> };
  assert.equal(Object.keys(manifest.dependencies), ['re2js'], 'the runtime depends only on what deciding needs');
  assert.is(manifest.devDependencies, undefined);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(join(consumer, 'package-lock.json'), JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages: { '': { name: 'consumer' }, ...lockEntriesFor(Object.keys(manifest.dependencies)) } }));
  copyFileSync(tgz, join(consumer, basename(tgz)));
  const npmArgs = ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', `./${basename(tgz)}`];
  let inst = run('npm', npmArgs, consumer);
  if (inst.status !== 0 && /ENOTCACHED/.test(inst.stderr)) {
    // The npm cache lost the tarballs (cache cleaned after `npm ci`): install them from the repository's own copies, still offline.
    console.warn(`\nruntime install test: npm cache incomplete, installing ${Object.keys(manifest.dependencies).join(', ')} from node_modules copies\n`);
    rmSync(join(consumer, 'package-lock.json'));
    inst = run('npm', [...npmArgs, '--install-links', '--no-save', ...Object.keys(manifest.dependencies).map((d) => join(ROOT, 'node_modules', d))], consumer);
  }
  if (inst.status !== 0) {
    const msg = `npm install --offline of the runtime tarball failed: ${inst.stderr.trim().split('\n').slice(0, 3).join(' | ')}`;
    if (CI) assert.unreachable(msg);
    console.warn(`\n!!! SKIPPED the rest of the runtime install test: ${msg}\n`);
    return;
  }
  const tree = installedPackages(consumer);
  assert.equal(tree, ['@fms/runtime', 're2js'], `install tree: ${tree.join(', ')}`);
  for (const banned of ['@fms/compiler', 'chevrotain', 'commander', 'chalk', '@noble/ed25519']) assert.not.ok(tree.includes(banned), `${banned} installed`);

  // 3. a signed pack and a trust file, made with the compiler here
  const src = readFileSync(join(ROOT, 'examples/support-bot/governance.fms'), 'utf8');
  const r = compile(src, 'governance.fms');
  assert.ok(r.ir && !r.diagnostics.some((d) => d.severity === 'error'), 'example compiles');
  const keyFile = join(work, 'key.pem');
  generateKeyFile(keyFile);
  const signer = localEd25519Signer(keyFile);
  const pack = await createSignedPack({ body: emitPackBody(r.ir!), name: 'support-bot', serial: 1, createdAt: new Date(Date.now() - 60_000), sourceSha256: createHash('sha256').update(src).digest('hex'), signer });
  writeFileSync(join(consumer, 'pack.fmspack'), pack);
  const e = trustEntryFor(signer);
  writeFileSync(join(consumer, 'trust.json'), JSON.stringify({ version: 1, keys: [e], scopes: [{ prefix: '*', keys: [e.id], threshold: 1 }] }));

  // 4. the library, as an agent host embeds it
  writeFileSync(
    join(consumer, 'host.mjs'),
    `import { readFileSync } from 'node:fs';
import { loadPack, loadTrustRoots, MemoryRollbackStore, PackRefusal, PackError } from '@fms/runtime';
import { decodeContainer, PackError as FormatPackError } from '@fms/runtime/format';
const bytes = new Uint8Array(readFileSync('pack.fmspack'));
const trust = loadTrustRoots('trust.json');
const { pack, verified } = loadPack(bytes, { trust, rollback: new MemoryRollbackStore() });
const decision = pack.decide({ agent: 'support-bot', tool: 'stripe/refund', args: { amount: 450 } });
const bad = bytes.slice();
bad[bad.length - 1] ^= 1;
let refused = null;
try { loadPack(bad, { trust }); } catch (e) { refused = e instanceof PackRefusal ? 'PackRefusal: ' + e.message : 'other: ' + e; }
let cliKit;
try { await import('@fms/runtime/cli-kit'); cliKit = 'loaded'; } catch (e) { cliKit = e.code + ' ' + e.message; }
process.stdout.write(JSON.stringify({ decision, name: verified.manifest.name, refused, samePackError: PackError === FormatPackError, container: typeof decodeContainer, cliKit }));
`,
  );
  const host = run(process.execPath, ['host.mjs'], consumer);
  assert.is(host.status, 0, host.stderr);
  const out = JSON.parse(host.stdout) as { decision: { effect: string; code: string; rule_ref: string }; name: string; refused: string; samePackError: boolean; container: string; cliKit: string };
  assert.is(out.name, 'support-bot');
  assert.is(out.decision.effect, 'defer');
  assert.is(out.decision.code, 'POLICY_DEFER');
  assert.match(out.decision.rule_ref, /^governance\.fms:\d+$/);
  assert.match(out.refused, /^PackRefusal: /);
  assert.ok(out.samePackError, 'one PackError class across entries (shared chunks)');
  assert.is(out.container, 'function');
  // the CLI kit needs its optional peer; the library entry never loaded it
  assert.match(out.cliKit, /ERR_MODULE_NOT_FOUND.*commander/);

  // 5. the declarations serve a TypeScript host (node16/nodenext resolution, strict)
  writeFileSync(
    join(consumer, 'host-types.ts'),
    `import { loadPack, loadTrustRoots, PackRefusal, type Decision, type TrustRoots } from '@fms/runtime';
import { decodeContainer, type BodyModel } from '@fms/runtime/format';
import { keyIdOf } from '@fms/runtime/crypto';
const trust: TrustRoots = loadTrustRoots('trust.json');
const d: Decision = loadPack(new Uint8Array(0), { trust }).pack.decide({ agent: 'a', tool: 't', args: {} });
const effect: 'permit' | 'deny' | 'defer' = d.effect;
export const used: unknown[] = [effect, decodeContainer, keyIdOf, PackRefusal, null as BodyModel | null];
`,
  );
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] }, files: ['host-types.ts'] }),
  );
  const tsc = run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], consumer);
  assert.is(tsc.status, 0, tsc.stdout + tsc.stderr);

  // 6. the fms-run bin works without any CLI library installed (commander is bundled into it)
  const env = { ...process.env, FMS_STATE_DIR: join(work, 'state'), NO_COLOR: '1' };
  const bin = join(consumer, 'node_modules/.bin/fms-run');
  const v = run(bin, ['verify', 'pack.fmspack', '--trust', 'trust.json'], consumer, env);
  assert.is(v.status, 0, v.stderr + v.stdout);
  const ev = run(bin, ['eval', 'pack.fmspack', '--trust', 'trust.json', '--agent', 'support-bot', '--tool', 'stripe/refund', '--args', '{"amount": 450}'], consumer, env);
  assert.is(ev.status, 0, ev.stderr);
  assert.is((JSON.parse(ev.stdout) as { effect: string }).effect, 'defer');
  const noTrust = run(bin, ['verify', 'pack.fmspack', '--trust', join(work, 'nope.json')], consumer, env);
  assert.is.not(noTrust.status, 0, 'no trust file: refused');
  // 7. key-store log keys need the optional peer @fms/signers, which is neither installed nor bundled: one line, exit 2
  const kms = run(bin, ['serve', 'pack.fmspack', '--trust', 'trust.json', '--socket', join(work, 'd.sock'), '--log', join(work, 'd.log'), '--log-key', 'pkcs11:token=t;object=o'], consumer, env);
  assert.is(kms.status, 2, kms.stderr);
  assert.match(kms.stderr, /^fms-run: log key `pkcs11:` needs the optional package `@fms\/signers`, which is not installed/);
  assert.is(kms.stderr.trim().split('\n').length, 1, kms.stderr);
  assert.not.ok(existsSync(join(consumer, 'node_modules/@fms/signers')), 'the optional peer is not installed');
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test.run();
