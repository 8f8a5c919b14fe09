// Issue 17: the IR printed as JSON (`fmsc check --format json --emit ir`) uses
// snake_case keys like every other JSON output of the toolchain.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { corpusSuite, ROOT, walk } from '../../helpers/paths';

const { dir, test } = corpusSuite('test/compiler/cli/ir-json.test.ts');
const FMSC = join(ROOT, 'dist/fmsc.mjs');

/** Every object key in a JSON value, with its JSON path. */
function keys(v: unknown, path = '$', out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x, i) => keys(x, `${path}[${i}]`, out));
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push(`${path}.${k}`);
      keys(x, `${path}.${k}`, out);
    }
  }
  return out;
}

const camel = (path: string): boolean => /[a-z0-9][A-Z]/.test(path.slice(path.lastIndexOf('.') + 1));

function printedIr(files: string[]): unknown {
  const r = spawnSync(process.execPath, [FMSC, 'check', '--format', 'json', '--emit', 'ir', '--allow-unset-env', '--locked', ...files], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: '' }, maxBuffer: 64 << 20 });
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return JSON.parse(r.stdout);
}

test('the example: every key of the printed report and IR is snake_case', () => {
  const j = printedIr(['examples/support-bot/governance.fms']) as { ir: Array<{ ir: Record<string, unknown> }> };
  assert.ok('ir_version' in j.ir[0]!.ir);
  assert.ok('rate_limits' in (j.ir[0]!.ir.agents as Array<Record<string, unknown>>)[0]!);
  assert.equal(keys(j).filter(camel), []);
});

test('the corpus: no camelCase key anywhere in the printed IR', () => {
  const files = walk(dir).filter((f) => f.endsWith('.fms'));
  assert.ok(files.length > 0);
  const j = printedIr(files) as { ir: unknown[] };
  assert.ok(j.ir.length > 0);
  assert.equal(keys(j).filter(camel), []);
});

test.run();
