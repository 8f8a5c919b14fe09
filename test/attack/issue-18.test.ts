/**
 * Issue 18 ("Imports: a supply chain that cannot be bent"), attacked once more
 * on the merged code: every class example from the issue text, reproduced
 * through the library (`compile` with the real registry resolver) or the real
 * CLI bundle (`dist/fmsc.mjs`, built by `npm run build`), must fail closed.
 * Each test name starts with the class number; the detailed tests per class
 * live in test/compiler/imports/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadPackBody } from '@fms/runtime';
import { Interpreter, emitPackBody } from '@fms/compiler';
import { ROOT } from '../helpers/paths';
import { compileStack, errorCodes, packageSigFile, seedSigner, sha256, stack } from '../compiler/imports/package-helpers';

const REG = 'registry/example.com/acme/';
const REF = 'example.com/acme/pay@1.0.0';
const PKG = '# shared rules\nagent "bot" {\n  rules {\n    deny! shell\n  }\n}\n';
const BOT = '\n\nagent "bot" {\n  default permit\n}\n';
const PUB = seedSigner(7);

function fmsc(args: string[], o: { cwd?: string; ci?: boolean; input?: string; env?: Record<string, string> } = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CI: o.ci ? 'true' : '', FMS_HOME: join(tmpdir(), 'fms-attack18-home'), FMS_TRUST: '', ...o.env };
  if (o.env?.FMS_REGISTRY === undefined) delete env.FMS_REGISTRY;
  return spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), ...args], { cwd: o.cwd ?? ROOT, encoding: 'utf8', env, input: o.input ?? '', timeout: 60_000 });
}

/** A stack whose registry holds PKG at REF (and `extra` files), in `.fms/registry` for the CLI. */
function cliStack(extra: Record<string, string> = {}): { dir: string; src: string; reg: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fms-attack18-'));
  const reg = join(dir, '.fms/registry');
  mkdirSync(join(reg, 'example.com/acme'), { recursive: true });
  writeFileSync(join(reg, 'example.com/acme/pay@1.0.0.fms'), PKG);
  for (const [k, v] of Object.entries(extra)) writeFileSync(join(dir, k), v);
  const src = join(dir, 'governance.fms');
  writeFileSync(src, `import "${REF}"${BOT}`);
  return { dir, src, reg };
}

test('class 1: `../` refs, `//`, `/./`, `evil.com/../example.com` are FMS2070 and read nothing outside the registry', () => {
  const s = stack({ [REG + 'pay@1.0.0.fms']: PKG, 'outside/evil@1.0.0.fms': 'agent "bot" {\n  default permit\n}\n', 'x@1.0.0.fms': 'agent "bot" {\n  default permit\n}\n' });
  for (const ref of ['../outside/evil@1.0.0', '../../x@1.0.0', 'example.com//acme/pay@1.0.0', 'example.com/./acme/pay@1.0.0', 'evil.com/../example.com/acme/pay@1.0.0', 'example.com/acme/../acme/pay@1.0.0']) {
    const r = compileStack(s, `import "${ref}"${BOT}`);
    assert.ok(errorCodes(r).includes('FMS2070'), `${ref}: ${JSON.stringify(r.diagnostics)}`);
    assert.is(r.ir?.imports?.some((i) => i.sha256 !== undefined) ?? false, false, ref);
  }
});

test('class 1: a FIFO in the registry is refused at once (the CLI does not hang); a symlink leading out is refused', () => {
  const a = cliStack();
  rmSync(join(a.reg, 'example.com/acme/pay@1.0.0.fms'));
  spawnSync('mkfifo', [join(a.reg, 'example.com/acme/pay@1.0.0.fms')]);
  const t0 = Date.now();
  const r = fmsc(['check', a.src, '--no-locked']);
  assert.is(r.signal, null, 'check hung on a FIFO');
  assert.ok(Date.now() - t0 < 30_000);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /not a regular file|FIFO|FMS2073/);

  const b = stack({ [REG + 'keep@1.0.0.fms']: PKG, 'secret.fms': 'agent "bot" {\n  default permit\n}\n' });
  symlinkSync(join(b.dir, 'secret.fms'), join(b.registry, 'example.com/acme/pay@1.0.0.fms'));
  const out = compileStack(b, `import "${REF}"${BOT}`);
  assert.ok(errorCodes(out).length > 0, JSON.stringify(out.diagnostics));
});

test('class 2: malformed pin scopes (`Example.com/acme`, `https://…`, `…/*`, `*`, `…@1.0.0`) are FMS2071; a Cyrillic look-alike of a pinned host is FMS2072', () => {
  const s = stack({ [REG + 'pay@1.0.0.fms']: PKG, 'registry/ex\u0430mple.com/acme/pay@1.0.0.fms': PKG });
  for (const scope of ['Example.com/acme', 'https://example.com/acme', 'example.com/acme/*', '*', 'example.com/acme/pay@1.0.0']) {
    const r = compileStack(s, `trust {\n  key "${scope}" ed25519:${PUB.b64}\n}\n${BOT}`);
    assert.ok(errorCodes(r).includes('FMS2071'), `${scope}: ${JSON.stringify(r.diagnostics)}`);
  }
  const look = compileStack(s, `trust {\n  key "example.com/acme" ed25519:${PUB.b64}\n}\nimport "xn--exmple-4nf.com/acme/pay@1.0.0"${BOT}`);
  assert.ok(errorCodes(look).includes('FMS2072'), JSON.stringify(look.diagnostics));
  const raw = compileStack(s, `trust {\n  key "example.com/acme" ed25519:${PUB.b64}\n}\nimport "ex\u0430mple.com/acme/pay@1.0.0"${BOT}`);
  assert.ok(errorCodes(raw).length > 0, 'a non-ASCII host is never imported as it is');
});

test('class 3: the all-zero key (and the identity point) pinned in trust {} is FMS2080 and verifies nothing', () => {
  for (const key of [Buffer.alloc(32), Buffer.from([1, ...new Array(31).fill(0)])]) {
    const forged = Buffer.concat([Buffer.from([1, ...new Array(31).fill(0)]), Buffer.alloc(32)]).toString('base64');
    const s = stack({ [REG + 'pay@1.0.0.fms']: 'agent "bot" {\n  default permit\n}\n', [REG + 'pay@1.0.0.fms.sig']: forged });
    const r = compileStack(s, `trust {\n  key "example.com/acme" ed25519:${key.toString('base64')}\n}\nimport "${REF}"${BOT}`);
    assert.ok(errorCodes(r).includes('FMS2080'), JSON.stringify(r.diagnostics));
  }
});

test('class 4: the signature of pay@1.0.0 copied next to pay@1.1.0 is refused (FMS2082)', async () => {
  const sig = await packageSigFile('example.com/acme/pay', '1.0.0', PKG, PUB);
  const s = stack({ [REG + 'pay@1.1.0.fms']: PKG, [REG + 'pay@1.1.0.fms.sig']: sig, [REG + 'pay@1.0.0.fms']: PKG, [REG + 'pay@1.0.0.fms.sig']: sig });
  const trust = `trust {\n  key "example.com/acme" ed25519:${PUB.b64}\n}\n`;
  assert.equal(errorCodes(compileStack(s, `${trust}import "example.com/acme/pay@1.0.0"${BOT}`)), []);
  assert.ok(errorCodes(compileStack(s, `${trust}import "example.com/acme/pay@1.1.0"${BOT}`)).includes('FMS2082'));
});

test('class 5: `fmsc build - < governance.fms` keeps the imported deny! (decided through fms-run); an import that exists nowhere fails', () => {
  const { dir } = cliStack();
  const out = join(dir, 'stdin.fmspack');
  const b = fmsc(['build', '-', '-o', out, '--name', 'acme/stdin'], { cwd: dir, input: `import "${REF}"${BOT}` });
  assert.is(b.status, 0, b.stderr);
  const e = spawnSync(process.execPath, [join(ROOT, 'dist/fms-run.mjs'), 'eval', out, '--insecure-unsigned', '--agent', 'bot', '--tool', 'shell'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FMS_PACK_NAME: '', FMS_DEPLOYMENT: '' } });
  assert.is(e.status, 0, e.stderr);
  assert.equal(JSON.parse(e.stdout).effect, 'deny');
  const missing = fmsc(['build', '-', '-o', join(dir, 'm.fmspack')], { cwd: dir, input: `import "example.com/acme/nowhere@1.0.0"${BOT}` });
  assert.is(missing.status, 1, missing.stderr);
  assert.not.ok(existsSync(join(dir, 'm.fmspack')));
});

test('class 6: a package calling env() is FMS2081 and its value is never signed', () => {
  process.env['FMS_ATTACK18_SECRET'] = 'builder-secret';
  try {
    const s = stack({ [REG + 'pay@1.0.0.fms']: 'agent "bot" {\n  var admin = env("FMS_ATTACK18_SECRET")\n  rules { deny x if principal.id != admin }\n}\n' });
    const r = compileStack(s, `import "${REF}"${BOT}`, { env: process.env as Record<string, string> });
    assert.ok(errorCodes(r).includes('FMS2081'));
    assert.not.match(JSON.stringify(r.ir ?? {}), /builder-secret/);
  } finally {
    delete process.env['FMS_ATTACK18_SECRET'];
  }
});

test('class 7: an unset env() under --allow-unset-env never widens: `principal.id == admin` with id "" and host/path clauses on it never match', () => {
  const src = 'agent "ops" {\n  default deny\n  var admin = env("FMS_ATTACK18_UNSET")\n  var h = env("FMS_ATTACK18_UNSET_HOST")\n  rules {\n    permit delete_user if principal.id == admin\n    permit http/get host h\n    permit http/post path env("FMS_ATTACK18_UNSET_PATH")\n  }\n}\n';
  const s = stack({});
  const r = compileStack(s, src, { env: {}, allowUnsetEnv: true });
  assert.equal(errorCodes(r), [], JSON.stringify(r.diagnostics));
  assert.equal([...r.diagnostics.map((d) => d.code)].sort(), ['FMS2020', 'FMS2020', 'FMS2020']);
  const ip = new Interpreter(r.ir!);
  assert.is(ip.decide({ agent: 'ops', tool: 'delete_user', principal: { id: '' } }).effect, 'deny');
  assert.is(ip.decide({ agent: 'ops', tool: 'http/get', args: { url: 'https://anything.test/' } }).effect, 'deny');
  assert.is(ip.decide({ agent: 'ops', tool: 'http/post', args: { path: '' } }).effect, 'deny');
  // build refuses the unset values whatever the flags.
  const b = compileStack(s, src, { env: {}, allowUnsetEnv: false });
  assert.ok(errorCodes(b).includes('FMS2020'));
  assert.throws(() => emitPackBody(r.ir!));
});

test('class 8: a package `permit *`, a new agent with `default permit` and dropped fields need the stack\'s opt-in; a flat-rule package reaches the stack\'s agents', () => {
  const run = (pkg: string, stackText: string) => compileStack(stack({ [REG + 'pay@1.0.0.fms']: pkg }), stackText);
  const deny = '\n\nagent "bot" {\n  default deny\n  rules { permit status }\n}\n';
  assert.equal(errorCodes(run('agent "bot" {\n  rules { permit * }\n}\n', `import "${REF}"${deny}`)), ['FMS2083']);
  assert.ok(errorCodes(run('agent "rogue" {\n  default permit\n}\n', `import "${REF}"${deny}`)).includes('FMS2083'));
  assert.ok(errorCodes(run('agent "bot" {\n  model "gpt-4o"\n}\n', `import "${REF}"${deny}`)).includes('FMS2034'));
  const flat = run('deny! shell\n', `import "${REF}"\n\nagent "bot" {\n  default permit\n}\n`);
  assert.equal(errorCodes(flat), []);
  assert.equal(flat.ir!.agents.map((a) => a.id), ['bot']);
  assert.is(loadPackBody(emitPackBody(flat.ir!)).decide({ agent: 'bot', tool: 'shell' }).effect, 'deny');
});

test('class 9: soft lockfile cases (empty/null/missing sha256, malformed, deleted under CI) are errors naming the file', () => {
  for (const text of [`{"version": 1, "imports": {"${REF}": {"sha256": ""}}}`, `{"version": 1, "imports": {"${REF}": {"sha256": null}}}`, `{"version": 1, "imports": {"${REF}": {}}}`, '{"version": 1, "imports": null}', 'null']) {
    const { src } = cliStack();
    writeFileSync(src + '.lock', text);
    const r = fmsc(['check', src]);
    assert.is(r.status, 1, `${text}: ${r.stderr}`);
    assert.match(r.stderr, /FMS2075/);
    assert.match(r.stderr, /governance\.fms\.lock/);
    assert.not.match(r.stderr, /TypeError|Cannot read properties/);
    assert.is(readFileSync(src + '.lock', 'utf8'), text, 'never re-pinned silently');
  }
  const { src } = cliStack();
  const locked = fmsc(['check', src, '--locked']);
  assert.is(locked.status, 1);
  assert.match(locked.stderr, /FMS2074/);
  assert.is(fmsc(['check', src], { ci: true }).status, 1, 'CI=true is locked mode');
});

test('class 10: the signed manifest lists each import with its digest (fmsc verify --format json)', () => {
  const { dir, src } = cliStack();
  const out = join(dir, 'x.fmspack');
  const home = join(dir, 'home');
  const b = fmsc(['build', src, '--no-locked', '-o', out], { env: { FMS_HOME: home } });
  assert.is(b.status, 0, b.stderr);
  const v = fmsc(['verify', out, '--trust', join(home, 'dev-trust.json'), '--format', 'json'], { env: { FMS_HOME: home } });
  assert.is(v.status, 0, v.stderr);
  assert.equal(JSON.parse(v.stdout).imports, [{ ref: REF, sha256: sha256(PKG) }]);
});

test('class 11: explain-call takes --registry; an empty FMS_REGISTRY means the default registry, not the current folder', () => {
  const { dir, src, reg } = cliStack();
  const x = fmsc(['explain-call', src, '--registry', reg, '--no-locked', '--agent', 'bot', '--tool', 'shell', '--format', 'json'].filter((a) => a !== '--no-locked'));
  assert.is(x.status, 0, x.stderr);
  assert.match(x.stdout, /example\.com\/acme\/pay@1\.0\.0:4/);
  // A decoy package in the current folder must not be read when FMS_REGISTRY is empty.
  mkdirSync(join(dir, 'cwd/example.com/acme'), { recursive: true });
  writeFileSync(join(dir, 'cwd/example.com/acme/pay@1.0.0.fms'), 'agent "bot" {\n  default permit\n}\n');
  const e = fmsc(['explain-call', src, '--agent', 'bot', '--tool', 'shell', '--format', 'json'], { cwd: join(dir, 'cwd'), env: { FMS_REGISTRY: '' } });
  assert.is(e.status, 0, e.stderr);
  assert.match(e.stdout, /example\.com\/acme\/pay@1\.0\.0:4/);
});

test.run();
