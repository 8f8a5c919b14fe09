/**
 * Issue 18 through the real CLI (dist/fmsc.mjs): stdin resolves imports
 * (class 5), locked mode and the lockfile (class 9), `--registry` on
 * explain-call and test and an empty FMS_REGISTRY (class 11), and a FIFO in the
 * registry that once hung `check` (class 1). Every run sets CI explicitly, so
 * the suite behaves the same with and without CI=true.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../../helpers/paths';

const REF = 'example.com/acme/pay@1.0.0';
const PKG = '# shared rules\nagent "bot" {\n  rules {\n    deny! shell\n  }\n}\n';
const STACK = `import "${REF}"\n\nagent "bot" {\n  default permit\n}\n`;

function stack(opts: { registry?: string } = {}): { dir: string; src: string; reg: string; lock: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fms-supply-'));
  const reg = join(dir, opts.registry ?? '.fms/registry');
  mkdirSync(join(reg, 'example.com/acme'), { recursive: true });
  writeFileSync(join(reg, 'example.com/acme/pay@1.0.0.fms'), PKG);
  const src = join(dir, 'governance.fms');
  writeFileSync(src, STACK);
  return { dir, src, reg, lock: src + '.lock' };
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  signal: NodeJS.Signals | null;
}

function fmsc(args: string[], o: { cwd?: string; ci?: boolean; input?: string; env?: Record<string, string> } = {}): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CI: o.ci ? 'true' : '', FMS_HOME: join(tmpdir(), 'fms-supply-home'), ...o.env };
  delete env.FMS_REGISTRY;
  if (o.env?.FMS_REGISTRY !== undefined) env.FMS_REGISTRY = o.env.FMS_REGISTRY;
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), ...args], { cwd: o.cwd ?? ROOT, encoding: 'utf8', env, input: o.input ?? '', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

test('stdin: `fmsc build -` resolves imports against ./.fms/registry (the imported deny! is in the pack)', () => {
  const { dir } = stack();
  const out = join(dir, 'stdin.fmspack');
  const b = fmsc(['build', '-', '-o', out, '--name', 'acme/stdin'], { cwd: dir, input: STACK });
  assert.is(b.status, 0, b.stderr);
  const i = fmsc(['inspect', out]);
  assert.is(i.status, 0, i.stderr);
  assert.match(i.stdout, /example\.com\/acme\/pay@1\.0\.0:4:5 +deny! /);
  // stdin never writes a lockfile.
  assert.not.ok(existsSync(join(dir, 'governance.fms.lock')));
  // --registry works for stdin too.
  const elsewhere = stack({ registry: 'reg' });
  const c = fmsc(['check', '-', '--registry', elsewhere.reg], { cwd: tmpdir(), input: STACK });
  assert.is(c.status, 0, c.stderr);
});

test('stdin and files: an import that exists nowhere is an error in every command', () => {
  const { dir, src } = stack();
  const missing = 'import "example.com/acme/nowhere@9.9.9"\nagent "bot" {\n  default deny\n}\n';
  writeFileSync(src, missing);
  writeFileSync(join(dir, 'bot.fmtest.json'), JSON.stringify({ agent_id: 'bot', cases: [{ name: 'x', tool: 't', expect: { effect: 'deny' } }] }));
  for (const [args, input] of [
    [['check', '-'], missing],
    [['build', '-', '-o', join(dir, 'x.fmspack')], missing],
    [['check', src], ''],
    [['build', src, '-o', join(dir, 'y.fmspack')], ''],
    [['explain-call', src, '--agent', 'bot', '--tool', 't'], ''],
    [['test', join(dir, 'bot.fmtest.json')], ''],
  ] as Array<[string[], string]>) {
    const r = fmsc(args, { cwd: dir, input });
    assert.ok(r.status === 1 || r.status === 2, `${args.join(' ')}: exit ${r.status}`);
    assert.match(r.stderr, /error\[FMS2022\]: cannot resolve import `example\.com\/acme\/nowhere@9\.9\.9`/, args.join(' '));
  }
  assert.not.ok(existsSync(join(dir, 'x.fmspack')));
  assert.not.ok(existsSync(join(dir, 'y.fmspack')));
});

test('locked mode (CI=true or --locked): a missing lock, a missing entry or a stale entry is FMS2074 naming the file and the ref', () => {
  const { src, lock } = stack();
  // No lockfile: refused under CI, nothing written.
  // A CI build names its key (the development key is refused under CI=true).
  const key = join(dirname(src), 'release.pem');
  assert.is(fmsc(['keygen', key]).status, 0);
  const ci = fmsc(['build', src, '--key', key, '-o', src + '.fmspack'], { ci: true });
  assert.is(ci.status, 1, ci.stderr);
  assert.match(ci.stderr, /error\[FMS2074\]: cannot resolve import `example\.com\/acme\/pay@1\.0\.0`: locked mode: the lockfile `[^`]*governance\.fms\.lock` does not exist/);
  assert.not.ok(existsSync(lock));
  assert.not.ok(existsSync(src + '.fmspack'));
  assert.is(fmsc(['check', '--locked', src]).status, 1);
  // --no-locked overrides CI: resolves, creates the lock and says so.
  const open = fmsc(['check', '--no-locked', src], { ci: true });
  assert.is(open.status, 0, open.stderr);
  assert.match(open.stderr, /governance\.fms\.lock: created/);
  assert.match(open.stderr, /governance\.fms\.lock: locked `example\.com\/acme\/pay@1\.0\.0`/);
  const text = readFileSync(lock, 'utf8');
  // Now locked builds pass and leave the lock alone.
  const ok = fmsc(['build', src, '--key', key, '-o', src + '.fmspack'], { ci: true });
  assert.is(ok.status, 0, ok.stderr);
  assert.is(readFileSync(lock, 'utf8'), text);
  // A new import that the lock does not list.
  writeFileSync(join(src, '..', '.fms/registry/example.com/acme/more@1.0.0.fms'), 'agent "bot" {\n  rules { deny rm }\n}\n');
  writeFileSync(src, `import "example.com/acme/more@1.0.0"\n` + STACK);
  const missing = fmsc(['check', src], { ci: true });
  assert.is(missing.status, 1);
  assert.match(missing.stderr, /error\[FMS2074\]: cannot resolve import `example\.com\/acme\/more@1\.0\.0`: locked mode: `[^`]*governance\.fms\.lock` has no entry for it/);
  // A stale entry: the source no longer imports pay.
  writeFileSync(src, 'agent "bot" {\n  default permit\n}\n');
  const stale = fmsc(['check', '--locked', src]);
  assert.is(stale.status, 1, stale.stderr);
  assert.match(stale.stderr, /governance\.fms\.lock:1:1: error\[FMS2074\]: locked mode: the lockfile still locks `example\.com\/acme\/pay@1\.0\.0`, which `[^`]*governance\.fms` no longer imports/);
  // Unlocked, the stale entry is pruned, and the user is told.
  const prune = fmsc(['check', src]);
  assert.is(prune.status, 0, prune.stderr);
  assert.match(prune.stderr, /pruned `example\.com\/acme\/pay@1\.0\.0` \(no longer imported\)/);
  assert.equal(JSON.parse(readFileSync(lock, 'utf8')), { version: 1, imports: {} });
});

test('a deleted lockfile is an error under CI and recreated, out loud, otherwise', () => {
  const { src, lock } = stack();
  assert.is(fmsc(['check', src]).status, 0);
  rmSync(lock);
  assert.is(fmsc(['check', src], { ci: true }).status, 1);
  assert.not.ok(existsSync(lock));
  const r = fmsc(['check', src]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /governance\.fms\.lock: created/);
  assert.ok(existsSync(lock));
});

test('a malformed lockfile is FMS2075 naming the file, never a TypeError, and is never overwritten', () => {
  for (const text of ['{"version": 1, "imports": null}', `{"version": 1, "imports": {"${REF}": {"sha256": ""}}}`, `{"version": 1, "imports": {"${REF}": {}}}`, 'null', '{"version":1,"imports":{"__proto__":{"sha256":"x"}}}']) {
    for (const withImport of [true, false]) {
      const { src, lock } = stack();
      if (!withImport) writeFileSync(src, 'agent "bot" {\n  default permit\n}\n');
      writeFileSync(lock, text);
      for (const ci of [false, true]) {
        const r = fmsc(['check', src], { ci });
        assert.is(r.status, 1, `${text} ${withImport}: ${r.stderr}`);
        assert.match(r.stderr, /error\[FMS2075\]/);
        assert.match(r.stderr, /governance\.fms\.lock: /);
        assert.not.match(r.stderr, /Cannot read properties|TypeError/);
        assert.is(readFileSync(lock, 'utf8'), text);
      }
    }
  }
});

test('explain-call and test take --registry; an empty FMS_REGISTRY means the default, not the current folder', () => {
  const { dir, src, reg } = stack({ registry: 'elsewhere' });
  const x = fmsc(['explain-call', src, '--registry', reg, '--agent', 'bot', '--tool', 'shell', '--format', 'json']);
  assert.is(x.status, 0, x.stderr);
  assert.match(x.stdout, /example\.com\/acme\/pay@1\.0\.0:4/);
  writeFileSync(join(dir, 'bot.fmtest.json'), JSON.stringify({ agent_id: 'bot', cases: [{ name: 'imported deny!', tool: 'shell', expect: { effect: 'deny', rule_ref: `${REF}:4` } }] }));
  const t = fmsc(['test', '--registry', reg, join(dir, 'bot.fmtest.json')]);
  assert.is(t.status, 0, t.stdout + t.stderr);
  assert.match(t.stdout, /1 passed, 0 failed/);
  // Neither writes the lockfile (they only read the source).
  assert.not.ok(existsSync(src + '.lock'));

  const d = stack();
  const empty = fmsc(['check', d.src], { cwd: tmpdir(), env: { FMS_REGISTRY: '' } });
  assert.is(empty.status, 0, empty.stderr);
  assert.is(fmsc(['check', d.src, '--registry', '']).status, 2);
});

test('a FIFO in the registry is refused at once (FMS2073), it does not hang check', () => {
  const { src, reg } = stack();
  rmSync(join(reg, 'example.com/acme/pay@1.0.0.fms'));
  spawnSync('mkfifo', [join(reg, 'example.com/acme/pay@1.0.0.fms')]);
  const t0 = Date.now();
  const r = fmsc(['check', src]);
  assert.is(r.signal, null, 'check hung on the FIFO');
  assert.ok(Date.now() - t0 < 30_000);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /error\[FMS2073\].*is refused: it is a FIFO, not a regular file/);
});

test.run();
