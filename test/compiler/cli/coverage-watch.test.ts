// Issue 17: `fmsc test --coverage` (rules no case matches, agents no case
// calls, per file:line; `coverage` in --format json) and `--watch` for
// `fmsc check` and `fmsc test` (re-run on a change, one status line, exit 0 on
// SIGINT), through the real CLI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../helpers/paths';

const FMSC = join(ROOT, 'dist/fmsc.mjs');
const dir = mkdtempSync(join(tmpdir(), 'fms-coverage-'));
const env = { ...process.env, NO_COLOR: '1', FMS_HOME: join(dir, 'home'), CI: '' };
const POLICY = [
  'agent "a" {', //                       1
  '  default deny', //                    2
  '  rules {', //                         3
  '    deny! shell/*', //                 4
  '    permit docs/search', //            5
  '    permit pay if amount <= $10', //   6
  '    deny pay reason: "too much"', //   7
  '  }', //                               8
  '}', //                                 9
  'agent "b" {', //                       10
  '  default deny', //                    11
  '  rules { permit x/y }', //            12
  '}', //                                 13
  '',
].join('\n');
writeFileSync(join(dir, 'governance.fms'), POLICY);
const fixture = (cases: unknown[]) => JSON.stringify({ policy: 'governance.fms', agent_id: 'a', cases }, null, 2) + '\n';
writeFileSync(
  join(dir, 'a.fmtest.json'),
  fixture([
    { name: 'search', tool: 'docs/search', expect: { effect: 'permit' } },
    { name: 'small pay', tool: 'pay', args: { amount: 5 }, expect: { effect: 'permit' } },
    { name: 'other', tool: 'mail/send', expect: { effect: 'deny' } },
  ]),
);
const fmsc = (args: string[]) => spawnSync(process.execPath, [FMSC, ...args], { encoding: 'utf8', env, cwd: dir, timeout: 60_000 });

test('--coverage lists the rules no case matches and the agents no case calls, by file:line:col', () => {
  const r = fmsc(['test', '--coverage', 'a.fmtest.json']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /coverage of governance\.fms: 2 of 5 rules and 1 of 2 agents reached\n/);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('  governance.fms:'));
  assert.equal(lines, [
    '  governance.fms:4:5: no case matches rule `deny! shell/*` (agent `a`)',
    '  governance.fms:7:5: no case matches rule `deny pay reason: "too much"` (agent `a`)',
    '  governance.fms:10:7: no case calls agent `b`',
    '  governance.fms:12:11: no case matches rule `permit x/y` (agent `b`)',
  ]);
  assert.not.match(fmsc(['test', 'a.fmtest.json']).stdout, /coverage/, 'only with --coverage');
});

test('--coverage --format json: a versioned report with the unreached rules and agents', () => {
  const r = fmsc(['test', '--coverage', '--format', 'json', 'a.fmtest.json']);
  assert.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { version: number; coverage: Array<{ policy: string; rules: { total: number; reached: number }; agents: { total: number; reached: number }; unreached: Array<{ kind: string; line: number; agents: string[] }> }> };
  assert.is(j.version, 1);
  assert.is(j.coverage.length, 1);
  assert.equal(j.coverage[0]!.rules, { total: 5, reached: 2 });
  assert.equal(j.coverage[0]!.agents, { total: 2, reached: 1 });
  assert.equal(j.coverage[0]!.unreached.map((u) => [u.kind, u.line]), [['rule', 4], ['rule', 7], ['agent', 10], ['rule', 12]]);
});

test('--coverage: a rule matched only before a rate limit refuses is still reached; state is not changed by the trace', () => {
  const d = mkdtempSync(join(tmpdir(), 'fms-coverage-rl-'));
  writeFileSync(join(d, 'governance.fms'), 'agent "a" {\n  default deny\n  rate_limit "pay": 1 per minute\n  rules {\n    permit pay\n  }\n}\n');
  writeFileSync(
    join(d, 'governance.fmtest.json'),
    fixture([
      { name: 'first', tool: 'pay', time: 0, expect: { effect: 'permit' } },
      { name: 'second is limited', tool: 'pay', time: 1000, expect: { effect: 'deny', code: 'RATE_EXCEEDED' } },
    ]),
  );
  const r = spawnSync(process.execPath, [FMSC, 'test', '--coverage'], { encoding: 'utf8', env, cwd: d });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /2 passed, 0 failed/);
  assert.match(r.stdout, /1 of 1 rules and 1 of 1 agents reached/);
});

/** Collects a child's stderr and waits for a line matching `re` (the nth one). */
function waiter(child: ChildProcess): (re: RegExp, nth?: number) => Promise<string> {
  let err = '';
  const waiting: Array<() => void> = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    err += s;
    for (const w of waiting.splice(0)) w();
  });
  return (re, nth = 1) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} (#${nth}); stderr so far:\n${err}`)), 30_000);
      const check = (): void => {
        const hits = err.split('\n').filter((l) => re.test(l));
        if (hits.length >= nth) {
          clearTimeout(timer);
          resolve(hits[nth - 1]!);
        } else waiting.push(check);
      };
      check();
    });
}

const exited = (child: ChildProcess): Promise<number | null> => new Promise((resolve) => child.on('exit', (code) => resolve(code)));

test('fmsc check --watch: re-checks on an edit, one status line per run, exit 0 on SIGINT', async () => {
  const d = mkdtempSync(join(tmpdir(), 'fms-watch-check-'));
  const file = join(d, 'governance.fms');
  writeFileSync(file, 'agent "a" {\n  default deny\n}\n');
  const child = spawn(process.execPath, [FMSC, 'check', '--watch', 'governance.fms'], { cwd: d, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const wait = waiter(child);
  const done = exited(child);
  assert.match(await wait(/\[watch\]/), /^fmsc: \[watch\] clean \(ok\); watching 1 file \(Ctrl-C stops\)$/);
  writeFileSync(file, 'agent "a" {\n  defualt deny\n}\n');
  const second = await wait(/\[watch\]/, 2);
  assert.match(second, /^fmsc: \[watch\] 1 error, 1 warning \(exit 1\); watching 1 file/);
  child.kill('SIGINT');
  assert.is(await done, 0);
});

test('fmsc test --watch: re-runs when the policy changes, reports the new result, exit 0 on SIGINT', async () => {
  const d = mkdtempSync(join(tmpdir(), 'fms-watch-test-'));
  writeFileSync(join(d, 'governance.fms'), POLICY);
  writeFileSync(join(d, 'a.fmtest.json'), fixture([{ name: 'search', tool: 'docs/search', expect: { effect: 'permit' } }]));
  const child = spawn(process.execPath, [FMSC, 'test', '--watch'], { cwd: d, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const wait = waiter(child);
  const done = exited(child);
  assert.match(await wait(/\[watch\]/), /1 passed, 0 failed \(ok\); watching 2 files/);
  writeFileSync(join(d, 'governance.fms'), POLICY.replace('permit docs/search', 'deny docs/search'));
  assert.match(await wait(/\[watch\]/, 2), /0 passed, 1 failed \(exit 1\)/);
  // A broken fixture is one line, and the watch goes on.
  writeFileSync(join(d, 'a.fmtest.json'), '{"agent_id": "a", "cases": [}');
  assert.match(await wait(/not valid JSON/), /^fmsc: a\.fmtest\.json:1:29: not valid JSON/);
  child.kill('SIGINT');
  assert.is(await done, 0);
});

test('--watch refuses stdin, --format json and --update (exit 2, one line)', () => {
  for (const args of [['check', '--watch', '-'], ['check', '--watch', '--format', 'json', 'governance.fms'], ['test', '--watch', '--update'], ['test', '--watch', '--format', 'junit']]) {
    const r = fmsc(args);
    assert.is(r.status, 2, args.join(' '));
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test.run();
