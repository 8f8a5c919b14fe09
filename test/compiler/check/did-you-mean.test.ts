// Issue 17, diagnostics: a did-you-mean wherever a word is expected (with the
// span on the offending word and a structured `suggestion` for quick fixes),
// a typo-suspect argument name as a warning (FMS2100, so --strict fails it),
// and no cascades.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { compile } from '../../../compiler/src/compile';
import { typoSuspect } from '../../../compiler/src/util/did-you-mean';
import type { Diagnostic } from '../../../compiler/src/diagnostics/diagnostic';
import { ROOT } from '../../helpers/paths';

const diags = (src: string): Diagnostic[] => compile(src, 'p.fms', { env: {} }).diagnostics;
const at = (src: string, d: Diagnostic | undefined): string => (d ? src.slice(d.span.start, d.span.end) : '<none>');
const agent = (body: string, extra = ''): string => `agent "bot" {\n  default deny\n${body}\n}\n${extra}`;

test('args.ammount beside args.amount is a warning on the misspelt name, with a did-you-mean', () => {
  const src = agent('  rules {\n    deny pay if args.amount > 500\n    permit pay if args.ammount < 5\n  }');
  const d = diags(src).filter((x) => x.code === 'FMS2100');
  assert.is(d.length, 1);
  assert.is(d[0]!.severity, 'warning');
  assert.is(at(src, d[0]), 'args.ammount');
  assert.is(d[0]!.suggestion, 'args.amount');
  assert.match(d[0]!.help ?? '', /^did you mean `args\.amount`\?/);
});

test('the rarer spelling is the suspect, whichever comes first; a tie suspects the later one', () => {
  const src = agent('  rules {\n    permit a if args.recipent == "x"\n    deny a if args.recipient == "y"\n    defer a if args.recipient == "z"\n  }');
  const d = diags(src).filter((x) => x.code === 'FMS2100');
  assert.equal(d.map((x) => at(src, x)), ['args.recipent']);
  const tie = agent('  rules {\n    permit a if args.currency == "x"\n    deny a if args.curency == "y"\n  }');
  assert.equal(diags(tie).filter((x) => x.code === 'FMS2100').map((x) => at(tie, x)), ['args.curency']);
});

test('a bare misspelt name is one warning (FMS2100), not also the FMS2019 note', () => {
  const src = agent('  var limit = 5\n  rules {\n    permit pay if ammount > 5\n    permit pay if amount > limitt\n  }');
  const d = diags(src);
  assert.equal(d.filter((x) => x.code === 'FMS2100').map((x) => [at(src, x), x.suggestion]), [['ammount', 'amount'], ['limitt', 'limit']]);
  assert.is(d.filter((x) => x.code === 'FMS2019').length, 0);
});

test('names that differ on purpose are not typos: digits, plurals, short names, other segments', () => {
  for (const [a, b] of [['field1', 'field2'], ['item', 'items'], ['box', 'bix'], ['ip', 'id'], ['user.name', 'users.name'], ['a.b', 'a']] as const) {
    assert.not.ok(typoSuspect(a, b), `${a} / ${b}`);
  }
  for (const [a, b] of [['ammount', 'amount'], ['userId', 'userid'], ['customer.emial', 'customer.email'], ['recipeint_list', 'recipient_list']] as const) {
    assert.ok(typoSuspect(a, b), `${a} / ${b}`);
  }
  const src = agent('  rules {\n    permit a if args.v1 == 1 and args.v2 == 2\n    permit b if args.file == "x" and args.files == "y"\n  }');
  assert.is(diags(src).filter((x) => x.code === 'FMS2100').length, 0);
});

test('prototype names are ordinary argument names', () => {
  const src = agent('  rules {\n    permit a if args.constructor == 1 and args.constructr == 1 and args.constructor == 2\n    permit b if args.__proto__ == 1 and args.toString == 2\n  }');
  const d = diags(src).filter((x) => x.code === 'FMS2100');
  assert.equal(d.map((x) => at(src, x)), ['args.constructr']);
});

test('hostile names: very long paths are skipped, dotted prototype segments are plain names', () => {
  const long = 'x'.repeat(5000);
  const src = agent(`  rules {\n    permit a if args.${long} == 1 and args.${long}y == 1 and args.${long} == 2\n    permit b if args.a.__proto__.toString == 1 and args.a.__proto__.toStrnig == 2 and args.a.__proto__.toString == 3\n  }`);
  const d = diags(src).filter((x) => x.code === 'FMS2100');
  assert.equal(d.map((x) => x.suggestion), ['args.a.__proto__.toString']);
});

test('a redact path is a candidate: a condition on a misspelt redacted argument warns', () => {
  const src = agent('  redact pay args: ["card_number"]\n  rules {\n    deny pay if args.card_numbr != nil\n  }');
  const d = diags(src).filter((x) => x.code === 'FMS2100');
  assert.equal(d.map((x) => x.suggestion), ['args.card_number']);
});

test('flat rules used by several agents warn once per written place', () => {
  const src = 'agent "a" { default deny }\nagent "b" { default deny }\ndeny pay if args.amount > 5\ndeny pay if args.amount > 9\npermit pay if args.amuont < 1\n';
  assert.is(diags(src).filter((x) => x.code === 'FMS2100').length, 1);
});

test('an unknown delegate target points at the name wherever it is written', () => {
  for (const body of ['  delegate helpr { ttl 1h }', '  delegate { target_agent = "helpr" }', '  delegate { to = ["helper", "helpr"] }']) {
    const src = agent(body, 'agent "helper" { default deny }\n');
    const d = diags(src).filter((x) => x.code === 'FMS2010');
    assert.is(d.length, 1, body);
    assert.match(at(src, d[0]), /^"?helpr"?$/, body);
    assert.is(d[0]!.suggestion, 'helper', body);
  }
});

test('did-you-mean on blocks, fields, enum values, units, isolation; suggestion filled', () => {
  const cases: Array<[string, string, string, string]> = [
    [agent('  budjet daily { max $5 }'), 'FMS2001', 'budjet', 'budget'],
    [agent('  budget daily { max $5 on_exceed = "denny" }'), 'FMS2003', '"denny"', 'deny'],
    [agent('  budget daily { max 10usd }'), 'FMS2027', '10usd', '$10'],
    [agent('  session { max_duration = 5minn }'), 'FMS2027', '5minn', '5m'],
    [agent('  delegate helper { ttl = "10mins" }', 'agent "helper" { default deny }\n'), 'FMS2027', '"10mins"', '10m'],
    [agent('  enforcement { isolation = "proces" }'), 'FMS2094', '"proces"', 'process'],
    [agent('  rate_limit "x/*": 5 per minit'), 'FMS2003', 'minit', 'minute'],
    [agent('  phase a { next = "bb" }\n  phase b { nxt = "a" }'), 'FMS2009', '"bb"', 'b'],
    [agent('  egres { allow = ["a.com"] }'), 'FMS2001', 'egres', 'egress'],
    ['agnt "x" { }\n', 'FMS2001', 'agnt', 'agent'],
    [agent('  rules {\n    permitt x\n  }'), 'FMS2001', 'permitt', 'permit'],
    [agent('  rules { permit a if time.hours > 3 }'), 'FMS2016', 'time.hours', 'time.hour'],
  ];
  for (const [src, code, word, guess] of cases) {
    const d = diags(src).find((x) => x.code === code);
    assert.ok(d, `${code} for ${word}: ${JSON.stringify(diags(src).map((x) => x.code))}`);
    assert.is(at(src, d), word, code);
    assert.is(d!.suggestion, guess, `${code} ${word}: ${d!.help}`);
  }
});

test('no cascades: a bad default is not also "no default"; an unknown runtime field is not also "not enforced"', () => {
  const bad = diags('agent "bot" {\n  default denny\n}\n');
  assert.equal(bad.map((x) => x.code), ['FMS2003']);
  const rt = diags('runtime { os_tierr = true }\n' + agent(''));
  assert.equal(rt.map((x) => x.code), ['FMS2002']);
});

test('fmsc check --strict fails on a misspelt argument; JSON carries the suggestion', () => {
  const src = agent('  rules {\n    deny pay if args.amount > 500\n    permit pay if args.ammount < 5\n  }');
  const run = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), 'check', ...args, '-'], { input: src, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: '' } });
  assert.is(run([]).status, 0);
  const strict = run(['--strict']);
  assert.is(strict.status, 1, strict.stderr);
  assert.match(strict.stderr, /<stdin>:5:19: warning\[FMS2100\]: `args\.ammount` looks like a misspelling of `args\.amount`/);
  const j = JSON.parse(run(['--format', 'json']).stdout) as { diagnostics: Array<{ code: string; suggestion?: string }> };
  assert.equal(j.diagnostics.map((d) => [d.code, d.suggestion]), [['FMS2100', 'args.amount']]);
});

test.run();
