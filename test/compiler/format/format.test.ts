import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { format } from '../../../compiler/src/format/format';
import { parse } from '../../../compiler/src/syntax/parse';
import { firstDifference, stripLayout } from '../../helpers/ast-equal';
import { corpusSuite } from '../../helpers/paths';

/** Formats `src` (which must be valid), checks the output, idempotence and round-trip. */
function fmt(src: string): string {
  const r = format(src, 't.fms');
  assert.equal(r.diagnostics, [], 'no diagnostics');
  checkInvariants(src, r.text, 't.fms');
  return r.text;
}

function checkInvariants(src: string, out: string, file: string): void {
  const before = parse(src, file);
  const after = parse(out, file);
  assert.equal(after.diagnostics, [], `${file}: formatted output parses cleanly`);
  const diff = firstDifference(stripLayout(before.ast), stripLayout(after.ast));
  assert.is(diff, undefined, `${file}: same AST after formatting (first difference: ${diff})`);
  assert.is(format(out, file).text, out, `${file}: idempotent`);
  const count = (text: string, needle: string): number => text.split(needle).length - 1;
  for (const c of before.ast.comments) {
    const inSrc = before.ast.comments.filter((d) => d.text === c.text).length;
    const inOut = after.ast.comments.filter((d) => d.text === c.text).length;
    assert.is(inOut, inSrc, `${file}: comment ${JSON.stringify(c.text)} kept exactly ${inSrc} time(s)`);
    assert.is(count(out, c.text), count(src, c.text), `${file}: comment text occurs as often in the output as in the input`);
  }
  assert.is(after.ast.comments.length, before.ast.comments.length, `${file}: comment count`);
}

const lines = (...ls: string[]): string => ls.join('\n') + '\n';

// ------------------------------------------------------------ layout

test('indentation, one statement per line, single spaces', () => {
  const src = 'agent   bot{default deny\n      model "gpt-4o"   rules{permit   a/b   deny c}}';
  assert.is(
    fmt(src),
    lines('agent bot {', '  default deny', '  model "gpt-4o"', '  rules {', '    permit a/b', '    deny c', '  }', '}'),
  );
});

test('aligns `=` in runs of `key = value` fields; bare and `:` fields keep one space', () => {
  const src = lines(
    'runtime {',
    'mode = "enforce"',
    'timeout_ms = 500',
    'x = 1',
    'bare "one"',
    'y = 2',
    'longer_key = 3',
    'colon: 4',
    '}',
  );
  assert.is(
    fmt(src),
    lines(
      'runtime {',
      '  mode       = "enforce"',
      '  timeout_ms = 500',
      '  x          = 1',
      '  bare "one"',
      '  y          = 2',
      '  longer_key = 3',
      '  colon: 4',
      '}',
    ),
  );
});

test('an empty line ends an alignment run; a comment line does not', () => {
  const src = lines('system {', 'a = 1', '# about bbb', 'bbb = 2', '', 'cccc = 3', 'd = 4', '}');
  assert.is(
    fmt(src),
    lines('system {', '  a   = 1', '  # about bbb', '  bbb = 2', '', '  cccc = 3', '  d    = 4', '}'),
  );
});

test('a single `=` field is not padded', () => {
  assert.is(fmt('a = 1\nb 2\n'), lines('a = 1', 'b 2'));
});

test('blank lines: at most one kept, none after `{` or before `}`, none at the start', () => {
  const src = '\n\n\nagent a {\n\n\n  default deny\n\n\n\n  model "m"\n\n}\n\n\n\nagent b {\n}\n\n\n';
  assert.is(fmt(src), lines('agent a {', '  default deny', '', '  model "m"', '}', '', 'agent b {}'));
});

test('file ends with exactly one newline; an empty file stays empty', () => {
  assert.is(fmt('permit a'), 'permit a\n');
  assert.is(fmt('permit a\n\n\n'), 'permit a\n');
  assert.is(format('', 'e.fms').text, '');
  assert.is(format('\n\n', 'e.fms').text, '');
});

test('CRLF line ends and tabs become LF and spaces; backslash continuations make a rule multi-line', () => {
  assert.is(fmt('agent a {\r\n\tmodel\t"x"\r\n\r\n\r\n\tpermit b\r\n}\r\n'), lines('agent a {', '  model "x"', '', '  permit b', '}'));
  assert.is(fmt('permit a \\\n  if x == 1\n'), lines('permit a', '  if x == 1'));
});

test('empty blocks print `name {}`', () => {
  assert.is(fmt('agent x {\n\n}\nsession   { }'), lines('agent x {}', 'session {}'));
});

test('quoted names, labels and tool patterns keep their quotes as written', () => {
  const src = `agent "support-bot" {\nbudget 'daily' { max $10.00 }\npermit "stripe/*"\nrate_limit "stripe/*": 10 per minute\n}`;
  assert.is(
    fmt(src),
    lines(
      'agent "support-bot" {',
      "  budget 'daily' {",
      '    max $10.00',
      '  }',
      '  permit "stripe/*"',
      '  rate_limit "stripe/*": 10 per minute',
      '}',
    ),
  );
});

test('effect spellings are kept, `deny!` included', () => {
  const src = 'deny!   shell/*  reason:"never"\nallow a\napprove b\nblock c\nreject d\ndefer e\npermit f\ndeny g';
  assert.is(
    fmt(src),
    lines('deny! shell/* reason: "never"', 'allow a', 'approve b', 'block c', 'reject d', 'defer e', 'permit f', 'deny g'),
  );
});

test('one-line rules stay on one line with every clause', () => {
  const src = 'permit api/*   method POST path /v1/*   query:  k = v header x-id=1 host: "a.com" port 443 notify "ops"';
  assert.is(fmt(src), lines('permit api/* method POST path /v1/* query: k=v header x-id=1 host: "a.com" port 443 notify "ops"'));
});

test('multi-line rules: `EFFECT TOOL`, then one clause per line', () => {
  const src = lines('rules {', 'defer stripe/refund when amount > 500', '        notify: "finance"   reason: "big"', '}');
  assert.is(
    fmt(src),
    lines('rules {', '  defer stripe/refund', '    when amount > 500', '    notify: "finance"', '    reason: "big"', '}'),
  );
});

test('conditions: spaces around operators, none inside parentheses, calls and named args', () => {
  const src =
    'permit a if ( amount<$500&&currency in[ "usd" ,"eur" ] )or!(x==1) and not y\n' +
    'deny b when session.sum( stripe/refund.amount ,window = 1h )>2000 || purpose( "r" )\n' +
    'deny c if path.starts_with("./") and cmd matches "(?i)rm" and tags not in [1,2]\n' +
    'deny d if x != nil and y >= -1.5 and z <= 1e3 and t contains "a" and u startsWith "b" and v ends_with "c"\n';
  assert.is(
    fmt(src),
    lines(
      'permit a if (amount < $500 && currency in ["usd", "eur"]) or !(x == 1) and not y',
      'deny b when session.sum(stripe/refund.amount, window=1h) > 2000 || purpose("r")',
      'deny c if path.starts_with("./") and cmd matches "(?i)rm" and tags not in [1, 2]',
      'deny d if x != nil and y >= -1.5 and z <= 1e3 and t contains "a" and u startsWith "b" and v ends_with "c"',
    ),
  );
});

test('lists, calls, keys and multi-value fields', () => {
  const src = lines(
    'agent a {',
    'redact  stripe/*  args:[ "card.number" ,"cvv"  ]',
    'allow_list = [ ]',
    'token env( "TOKEN" )',
    'scope  refund   read_charge',
    '}',
    'trust {',
    'key "acme/*"   =   ed25519:AAAA+/==',
    '}',
    'import "reg.example/policy/base@1.2.3"   as   base',
    'var limit = $500',
    'var  region: "eu"',
    'manifest   grant a to b max 3',
  );
  assert.is(
    fmt(src),
    lines(
      'agent a {',
      '  redact stripe/* args: ["card.number", "cvv"]',
      '  allow_list = []',
      '  token env("TOKEN")',
      '  scope refund read_charge',
      '}',
      'trust {',
      '  key "acme/*" = ed25519:AAAA+/==',
      '}',
      'import "reg.example/policy/base@1.2.3" as base',
      'var limit = $500',
      'var region: "eu"',
      'manifest grant a to b max 3',
    ),
  );
});

// ------------------------------------------------------------ comments

test('comments: file header, leading, trailing, end of block, end of file', () => {
  const src = lines(
    '# header',
    '',
    '# about the agent',
    'agent a {   # on the open line',
    '  # leading',
    '  default deny    # trailing',
    '',
    '  # dangling before close',
    '}   # after close',
    '',
    '',
    '# the end',
  );
  assert.is(
    fmt(src),
    lines(
      '# header',
      '',
      '# about the agent',
      'agent a { # on the open line',
      '  # leading',
      '  default deny # trailing',
      '',
      '  # dangling before close',
      '} # after close',
      '',
      '# the end',
    ),
  );
});

test('comments between the clauses of a multi-line rule stay next to their clause', () => {
  const src = lines(
    'deny stripe/refund # the tool',
    '  # why',
    '  when amount > 500 # big ones',
    '  # and then',
    '  reason "too big"   # last',
    'permit x',
  );
  assert.is(
    fmt(src),
    lines(
      'deny stripe/refund # the tool',
      '  # why',
      '  when amount > 500 # big ones',
      '  # and then',
      '  reason "too big" # last',
      'permit x',
    ),
  );
});

test('comments inside a condition or a list go on their own lines after it', () => {
  const src = lines('deny a', '  if x == 1 and # first part', '     y == 2', 'redact b args: [', '  "p", # the p', '  "q"', ']', 'permit c');
  assert.is(
    fmt(src),
    lines('deny a', '  if x == 1 and y == 2', '# first part', 'redact b args: ["p", "q"]', '# the p', 'permit c'),
  );
});

test('a comment-only block keeps its comments inside', () => {
  assert.is(fmt('rules {\n# nothing yet\n}'), lines('rules {', '  # nothing yet', '}'));
  assert.is(fmt('rules { # todo\n}'), lines('rules { # todo', '}'));
});

test('comments inside a clause that is not the last stay between the clauses', () => {
  const src = lines('rules {', 'deny a', 'if x == [1, # one', '2] # two', 'reason "r"', '}');
  assert.is(fmt(src), lines('rules {', '  deny a', '    if x == [1, 2]', '    # one', '    # two', '    reason "r"', '}'));
});

test('a comment between a block name and `{` goes before the block', () => {
  assert.is(fmt('agent a # why\n{\ndefault deny\n}'), lines('# why', 'agent a {', '  default deny', '}'));
});

test('comment-like text in strings is not a comment', () => {
  assert.is(fmt('reason_text "a # b"   # real\n'), lines('reason_text "a # b" # real'));
});

test('semicolons separate statements and are dropped', () => {
  assert.is(fmt('permit a; deny b # c\n'), lines('permit a', 'deny b # c'));
});

// ------------------------------------------------------------ refusal

test('refuses to format a file with syntax errors', () => {
  const src = 'agent a {\n  permit\n';
  const r = format(src, 'bad.fms');
  assert.is(r.text, src);
  assert.ok(r.diagnostics.length > 0);
  assert.ok(r.diagnostics.every((d) => d.file === 'bad.fms'));
});

// ------------------------------------------------------------ corpus

const { dir: corpusRoot, test: corpusTest } = corpusSuite('format/format.test.ts');

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : /\.(fpl|fms)$/.test(n) ? [p] : [];
    });
}

corpusTest('corpus: every valid file round-trips, is idempotent and keeps its comments', () => {
  const files = walk(corpusRoot);
  assert.ok(files.length > 100, `corpus has files (found ${files.length})`);
  let checked = 0;
  for (const f of files) {
    const name = relative(corpusRoot, f);
    let src = readFileSync(f, 'utf8');
    if (parse(src, name).diagnostics.length) {
      if (!name.startsWith('faramesh-docs/complete/')) continue;
      src = `agent "x" {\n${src}\n}`;
      if (parse(src, name).diagnostics.length) continue;
    }
    const r = format(src, name);
    assert.equal(r.diagnostics, [], `${name}: formats without diagnostics`);
    checkInvariants(src, r.text, name);
    checked++;
  }
  assert.ok(checked >= 150, `checked most of the corpus (${checked} of ${files.length})`);
});

test.run();
