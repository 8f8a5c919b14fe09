// Issue 17: `fms-run exec --format json`: exec's own refusals and I/O errors
// are one versioned JSON document on stdout (besides the line on stderr), and
// `--dry-run` prints the fence as JSON. The command's own output (when it
// runs) is the command's, so nothing is added to it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../helpers/paths';

const dir = mkdtempSync(join(tmpdir(), 'fms-exec-json-'));
const env = { ...process.env, NO_COLOR: '1', FMS_HOME: join(dir, 'home'), FMS_STATE_DIR: join(dir, 'state'), FMS_TRUST: '', CI: '' };
const run = (bin: string, args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist', bin), ...args], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
writeFileSync(join(dir, 'governance.fms'), 'agent "a" {\n  default deny\n  enforcement { profile = "minimal" fs_read = ["/usr"] }\n}\nagent "b" { default deny }\n');
const built = run('fmsc.mjs', ['build', 'governance.fms']);
const trust = join(dir, 'home', 'dev-trust.json');

interface JsonError {
  version: number;
  tool: string;
  ok: false;
  error: { message: string; exit_code: number };
}

function jsonError(r: ReturnType<typeof run>, exit: number, message: RegExp): void {
  assert.is(r.status, exit, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout) as JsonError;
  assert.equal([j.version, j.tool, j.ok, j.error.exit_code], [1, 'fms-run', false, exit]);
  assert.match(j.error.message, message);
  assert.is(r.stderr, `fms-run: ${j.error.message}\n`, 'the same one line on stderr');
}

test('the pack builds', () => {
  assert.is(built.status, 0, built.stderr);
});

test('--dry-run --format json: the fence as a versioned document', () => {
  const r = run('fms-run.mjs', ['exec', 'governance.fmspack', '--agent', 'a', '--trust', trust, '--dry-run', '--format', 'json']);
  assert.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { version: number; tool: string; ok: boolean; agent: string; profile: string; fence: string[] };
  assert.equal([j.version, j.tool, j.ok, j.agent, j.profile], [1, 'fms-run', true, 'a', 'minimal']);
  assert.ok(j.fence.some((l) => l.includes('path /usr: read_file read_dir')));
});

test('an I/O error, a missing trust file, an unknown agent and an agent without a fence are JSON errors', () => {
  jsonError(run('fms-run.mjs', ['exec', 'missing.fmspack', '--agent', 'a', '--trust', trust, '--format', 'json']), 2, /^cannot read pack `missing\.fmspack`: no such file/);
  jsonError(run('fms-run.mjs', ['exec', 'governance.fmspack', '--agent', 'a', '--format', 'json']), 2, /no trust roots/);
  jsonError(run('fms-run.mjs', ['exec', 'governance.fmspack', '--agent', 'zz', '--trust', trust, '--format', 'json']), 2, /unknown agent `zz`/);
  jsonError(run('fms-run.mjs', ['exec', 'governance.fmspack', '--agent', 'b', '--trust', trust, '--format', 'json']), 3, /has no `enforcement \{\}` block/);
  jsonError(run('fms-run.mjs', ['exec', 'governance.fmspack', '--agent', 'a', '--trust', trust, '--format', 'json', '--', ]), 2, /no command/);
});

test('--format yaml is a usage error (exit 2), as JSON only when json is asked for', () => {
  const r = run('fms-run.mjs', ['exec', 'governance.fmspack', '--agent', 'a', '--format', 'yaml']);
  assert.is(r.status, 2);
  assert.is(r.stdout, '');
});

test.run();
