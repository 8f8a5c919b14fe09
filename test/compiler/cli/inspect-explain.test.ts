import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeContainer } from '@fms/runtime/format';
import { SECTION, crc32 } from '@fms/runtime/format';
import type { Explanation } from '@fms/runtime';
import { ROOT } from '../../helpers/paths';

const FMSC = join(ROOT, 'dist/fmsc.mjs');
const RUN = join(ROOT, 'dist/fms-run.mjs');
const EXAMPLE = 'examples/support-bot/governance.fms';
const home = mkdtempSync(join(tmpdir(), 'fms-home-'));
const state = mkdtempSync(join(tmpdir(), 'fms-state-'));
const tmp = mkdtempSync(join(tmpdir(), 'fms-inspect-'));
// CI: '' on purpose: these builds sign with the development key, which `fmsc build` refuses under CI=true
const env = { ...process.env, NO_COLOR: '1', FMS_HOME: home, FMS_STATE_DIR: state, FORCE_COLOR: '', CI: '' };

function run(bin: string, args: string[]) {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first (npm test does)`);
  return spawnSync(process.execPath, [bin, ...args], { cwd: ROOT, encoding: 'utf8', env });
}

/** 1-based line of the first source line that starts (after indentation) with `prefix`. */
const source = readFileSync(join(ROOT, EXAMPLE), 'utf8').split('\n');
function lineOf(prefix: string): number {
  const i = source.findIndex((l) => l.trimStart().startsWith(prefix));
  if (i < 0) throw new Error(`no line starting with \`${prefix}\` in ${EXAMPLE}`);
  return i + 1;
}
const DENY_SHELL = lineOf('deny! shell/*');
const PERMIT_REFUND = lineOf('permit stripe/refund if amount <= $100');
const DEFER_REFUND = lineOf('defer  stripe/refund if amount <= $1000');
const DENY_REFUND = lineOf('deny   stripe/refund reason:');

/** A stderr that is one line, prefixed by the CLI name, with no stack trace. */
function oneLine(stderr: string, re: RegExp): void {
  assert.match(stderr, re);
  assert.is(stderr.trimEnd().split('\n').length, 1, `expected one line on stderr, got:\n${stderr}`);
  assert.not.match(stderr, /\n\s+at /);
}

const pack = join(tmp, 'x.fmspack');
const built = run(FMSC, ['build', EXAMPLE, '-o', pack]);

/** Offset (in the container) and length of one body section. */
function sectionOf(bytes: Uint8Array, type: number): { bodyAt: number; entry: number; off: number; len: number } {
  const { body } = decodeContainer(bytes);
  const bodyAt = bytes.length - body.length;
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  for (let i = 0, n = dv.getUint16(6, true); i < n; i++) {
    const e = 8 + i * 16;
    if (dv.getUint16(e, true) === type) return { bodyAt, entry: e, off: dv.getUint32(e + 4, true), len: dv.getUint32(e + 8, true) };
  }
  throw new Error(`section 0x${type.toString(16)} not found`);
}

test('the example builds (precondition of the inspect tests)', () => {
  assert.is(built.status, 0, built.stderr);
  assert.ok(existsSync(pack));
  // The line numbers the other tests rely on, as the example and build-check.test.ts state them.
  assert.is(DEFER_REFUND, 20);
  assert.is(DENY_SHELL, 15);
});

test('fmsc inspect lists the container, the sections, the agent, rules with source lines and bytecode', () => {
  const r = run(FMSC, ['inspect', pack]);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '');
  const out = r.stdout;
  assert.not.match(out, /\x1b\[/);
  assert.match(out, /^container v1, envelope \d+ bytes\npack `support-bot` serial \d+: created /);
  assert.match(out, /^signatures \(1\): NOT verified by inspect \(no trust file\); check them with `fmsc verify --trust FILE`\n {2}sha256:[0-9a-f]{64} {2}unverified$/m);
  assert.match(out, /^body: \d+ bytes, file governance\.fms, produced by fmsc /m);
  assert.match(out, /^sections:\n {2}0x01 META /m);
  for (const name of ['META', 'STRINGS', 'CONSTS', 'PATHS', 'REGEXES', 'AGENTS', 'RULES', 'BYTECODE', 'RULE_MAP', 'RATE_LIMITS', 'BUDGETS', 'HOST_LISTS', 'REDACTIONS']) {
    const hex = SECTION[name as keyof typeof SECTION].toString(16).padStart(2, '0');
    assert.match(out, new RegExp(`^  0x${hex} ${name} +offset \\d+  length \\d+  crc32 [0-9a-f]{8}$`, 'm'), name);
  }
  // The location is the `default` line: what a default decision's rule_ref names.
  assert.match(out, new RegExp(`^agent support-bot  default deny \\(governance\\.fms:${lineOf('default deny')}\\)  model gpt-4o$`, 'm'));
  assert.match(out, new RegExp(`^  rate_limit stripe/\\* 10/minute \\(governance\\.fms:${lineOf('rate_limit "stripe/*"')}\\)$`, 'm'));
  assert.match(out, new RegExp(`^  budget daily window daily max \\$500 warn_at 0\\.8 on_exceed defer \\(governance\\.fms:${lineOf('budget daily')}\\)$`, 'm'));
  assert.match(out, /^ {2}egress allow \[api\.stripe\.com, \*\.zendesk\.com\] deny \[\] /m);

  // Rules: ref, effect, pattern, the source text, then the condition's bytecode.
  assert.match(out, new RegExp(`^  rule #0 governance\\.fms:${DENY_SHELL}:5  deny! glob shell/\\*\\n      \\| deny! shell/\\* reason: "support agents never run shell commands"\\n  rule #1 `, 'm'));
  assert.ok(
    out.includes(
      `  rule #3 governance.fms:${PERMIT_REFUND}:5  permit exact stripe/refund\n` +
        '      | permit stripe/refund if amount <= $100\n' +
        '      +000  LOAD       args.amount\n' +
        '      +005  PUSH_CONST 100\n' +
        '      +010  CMP        <=\n' +
        '      +012  RET',
    ),
    out,
  );
  assert.match(out, new RegExp(`^  rule #4 governance\\.fms:${DEFER_REFUND}:5  defer exact stripe/refund\\n      \\| defer stripe/refund if amount <= \\$1000 notify: "finance"`, 'm'));
  assert.match(out, new RegExp(`^  rule #5 governance\\.fms:${DENY_REFUND}:5  deny exact stripe/refund\\n      \\| deny stripe/refund reason: "refunds over \\$1000`, 'm'));
  assert.match(out, /^ {6}\+005 {2}MATCH {6}"@example\\\\\.com\$"$/m);
  assert.is(out.match(/^ {2}rule #\d+ /gm)?.length, 8);
  assert.is(out.match(/^ {6}\+\d{3} {2}RET/gm)?.length, 3);
});

test('fmsc inspect reads a raw pack body too (no container line)', () => {
  const body = join(tmp, 'raw.body');
  writeFileSync(body, decodeContainer(readFileSync(pack)).body);
  const r = run(FMSC, ['inspect', body]);
  assert.is(r.status, 0, r.stderr);
  assert.not.match(r.stdout, /container v/);
  assert.match(r.stdout, /^body: \d+ bytes, file governance\.fms/);
  assert.match(r.stdout, new RegExp(`rule #4 governance\\.fms:${DEFER_REFUND}:5`));
});

test('fmsc inspect refuses what is not a pack: exit 3 with one line, missing file or a directory exit 2', () => {
  const src = run(FMSC, ['inspect', EXAMPLE]);
  assert.is(src.status, 3);
  assert.is(src.stdout, '');
  oneLine(src.stderr, /^fmsc: refused `examples\/support-bot\/governance\.fms`: pack body has a bad magic number$/m);

  const empty = join(tmp, 'empty.fmspack');
  writeFileSync(empty, '');
  const e = run(FMSC, ['inspect', empty]);
  assert.is(e.status, 3);
  oneLine(e.stderr, /^fmsc: refused `.*empty\.fmspack`: pack body is truncated \(no header\)$/m);

  const trunc = join(tmp, 'trunc.fmspack');
  writeFileSync(trunc, readFileSync(pack).subarray(0, 100));
  const t = run(FMSC, ['inspect', trunc]);
  assert.is(t.status, 3);
  oneLine(t.stderr, /^fmsc: refused `.*trunc\.fmspack`: truncated pack: file ends inside the signature envelope$/m);

  const missing = run(FMSC, ['inspect', join(tmp, 'nope.fmspack')]);
  assert.is(missing.status, 2);
  assert.is(missing.stdout, '');
  oneLine(missing.stderr, /^fmsc: cannot read `.*nope\.fmspack`: no such file$/m);

  const dir = run(FMSC, ['inspect', tmp]);
  assert.is(dir.status, 2);
  oneLine(dir.stderr, /: is a directory$/m);

  assert.is(run(FMSC, ['inspect']).status, 2);
});

test('fmsc inspect on a pack with one body byte flipped: the section checksum refuses it (exit 3, no crash)', () => {
  const bytes = new Uint8Array(readFileSync(pack));
  const s = sectionOf(bytes, SECTION.BYTECODE);
  bytes[s.bodyAt + s.off] ^= 0x01; // the first opcode of the first condition (LOAD)
  const bad = join(tmp, 'flipped.fmspack');
  writeFileSync(bad, bytes);
  const r = run(FMSC, ['inspect', bad]);
  assert.is(r.status, 3);
  assert.is(r.stdout, '');
  oneLine(r.stderr, /^fmsc: refused `.*flipped\.fmspack`: section 0x8 fails its checksum$/m);

  // A string flipped in STRINGS: same refusal, for that section.
  const b2 = new Uint8Array(readFileSync(pack));
  const st = sectionOf(b2, SECTION.STRINGS);
  b2[st.bodyAt + st.off + st.len - 1] ^= 0x20;
  writeFileSync(bad, b2);
  const r2 = run(FMSC, ['inspect', bad]);
  assert.is(r2.status, 3);
  oneLine(r2.stderr, /: section 0x2 fails its checksum$/m);
});

test('fmsc inspect on a flipped opcode with a recomputed checksum: the bytecode verifier refuses it (exit 3, no crash)', () => {
  const bytes = new Uint8Array(readFileSync(pack));
  const s = sectionOf(bytes, SECTION.BYTECODE);
  bytes[s.bodyAt + s.off] = 0xff; // not an opcode
  new DataView(bytes.buffer).setUint32(s.bodyAt + s.entry + 12, crc32(bytes, s.bodyAt + s.off, s.bodyAt + s.off + s.len), true);
  const bad = join(tmp, 'bad-opcode.fmspack');
  writeFileSync(bad, bytes);
  const r = run(FMSC, ['inspect', bad]);
  assert.is(r.status, 3, r.stderr);
  assert.is(r.stdout, '');
  oneLine(r.stderr, /^fmsc: refused `.*bad-opcode\.fmspack`: bytecode of rule 3 at \+0: unknown opcode 0xff$/m);
});

test('fmsc explain-call: a deferred refund shows the rules tried, the values, the limits and the decision', () => {
  const r = run(FMSC, ['explain-call', EXAMPLE, '--agent', 'support-bot', '--tool', 'stripe/refund', '--args', '{"amount":450}']);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '');
  const out = r.stdout;
  assert.not.match(out, /\x1b\[/);
  assert.match(out, /^agent support-bot: known\n/);
  assert.ok(
    out.includes(
      `rule governance.fms:${PERMIT_REFUND}  permit stripe/refund if amount <= $100  → no-match\n` +
        '    args.amount = 450\n' +
        '    450 <= 100 → false\n' +
        `rule governance.fms:${DEFER_REFUND}  defer stripe/refund if amount <= $1000 notify: "finance" reason: "refunds over $100 need a person"  → match\n` +
        '    args.amount = 450\n' +
        '    450 <= 1000 → true\n',
    ),
    out,
  );
  // The deny after the matching defer is not tried; the shell rule never applies to this tool.
  assert.not.match(out, new RegExp(`governance\\.fms:${DENY_REFUND}`));
  assert.not.match(out, new RegExp(`governance\\.fms:${DENY_SHELL}`));
  assert.match(out, new RegExp(`^rate limit stripe/\\* \\(governance\\.fms:${lineOf('rate_limit')}\\): 10\\.00/10 tokens → ok$`, 'm'));
  assert.match(out, new RegExp(`^budget daily \\(governance\\.fms:${lineOf('budget daily')}\\): spent \\$0\\.00 over 0 calls, this call \\$0\\.00 → ok$`, 'm'));
  assert.match(out, new RegExp(`^egress \\(governance\\.fms:${lineOf('egress')}\\): host \\(none\\) → ok$`, 'm'));
  assert.match(out, new RegExp(`^redact \\(governance\\.fms:${lineOf('redact stripe/refund')}\\): card\\.number, card\\.cvv$`, 'm'));
  assert.match(out, new RegExp(`\\ndecision: defer POLICY_DEFER \\(governance\\.fms:${DEFER_REFUND}\\) — stripe/refund deferred for operator approval: refunds over \\$100 need a person\\n$`));
});

test('fmsc explain-call: a missing argument is reported as missing and the call falls through to the deny', () => {
  const r = run(FMSC, ['explain-call', EXAMPLE, '--agent', 'support-bot', '--tool', 'stripe/refund']);
  assert.is(r.status, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, new RegExp(`^rule governance\\.fms:${PERMIT_REFUND}  permit stripe/refund if amount <= \\$100  → unknown$`, 'm'));
  assert.match(out, new RegExp(`^rule governance\\.fms:${DEFER_REFUND}  defer .* → unknown$`, 'm'));
  assert.is(out.match(/^ {4}missing: args\.amount$/gm)?.length, 2);
  assert.match(out, new RegExp(`^rule governance\\.fms:${DENY_REFUND}  deny stripe/refund .* → match$`, 'm'));
  assert.match(out, new RegExp(`\\ndecision: deny POLICY_DENY \\(governance\\.fms:${DENY_REFUND}\\) — denied: refunds over \\$1000 are handled by the platform team\\n$`));

  const mail = run(FMSC, ['explain-call', EXAMPLE, '--agent', 'support-bot', '--tool', 'send_email', '--args', '{"cc":"x"}']);
  assert.is(mail.status, 0, mail.stderr);
  assert.match(mail.stdout, /^ {4}missing: args\.to$/m);
  assert.match(mail.stdout, new RegExp(`decision: deny POLICY_DENY \\(governance\\.fms:${lineOf('deny   send_email')}\\)`));
});

test('fmsc explain-call --format json: the Explanation (decision, candidates, events) as JSON', () => {
  const r = run(FMSC, ['explain-call', EXAMPLE, '--agent', 'support-bot', '--tool', 'stripe/refund', '--args', '{"amount":450,"card":{"number":"4242"}}', '--format', 'json']);
  assert.is(r.status, 0, r.stderr);
  const x = JSON.parse(r.stdout) as Explanation;
  assert.equal(Object.keys(x).sort(), ['candidates', 'decision', 'events', 'version']);
  assert.is((x as unknown as { version: number }).version, 1);
  assert.is(x.decision.effect, 'defer');
  assert.is(x.decision.code, 'POLICY_DEFER');
  assert.is(x.decision.rule_ref, `governance.fms:${DEFER_REFUND}`);
  assert.is(x.decision.notify, 'finance');
  assert.is(x.decision.reason, 'refunds over $100 need a person');
  assert.is(x.decision.resolution?.type, 'pending_approval');
  assert.equal(x.decision.redacted_args, { amount: 450, card: { number: '[REDACTED]' } });
  assert.is(x.candidates, 3);
  assert.ok(Array.isArray(x.events));
  assert.equal(
    x.events.map((e) => e.kind),
    ['agent', 'rule', 'rule', 'rate_limit', 'budget', 'egress', 'redaction'],
  );
  const rules = x.events.filter((e) => e.kind === 'rule');
  assert.equal(
    rules.map((e) => [e.rule_ref, e.result]),
    [
      [`governance.fms:${PERMIT_REFUND}`, 'no-match'],
      [`governance.fms:${DEFER_REFUND}`, 'match'],
    ],
  );
  assert.equal(rules[1]!.steps[0], { op: 'load', detail: 'args.amount', value: 450 });
  assert.equal(rules[1]!.steps[1], { op: '<=', detail: '450 <= 1000', value: true });
  assert.equal(rules[0]!.steps[1], { op: '<=', detail: '450 <= 100', value: false });
  assert.equal(rules[1]!.missing, []);

  const m = JSON.parse(run(FMSC, ['explain-call', EXAMPLE, '--agent', 'support-bot', '--tool', 'stripe/refund', '--format', 'json']).stdout) as Explanation;
  const first = m.events.find((e) => e.kind === 'rule');
  assert.ok(first && first.kind === 'rule');
  assert.is(first.result, 'unknown');
  assert.equal(first.missing, ['args.amount']);
  // JSON steps carry real values: a missing field and an unknown result are flagged, not spelled as strings.
  assert.equal(first.steps[0], { op: 'load', detail: 'args.amount', value: null, missing: true });
  assert.is(first.steps[1]!.unknown, true);
  assert.is(first.steps[1]!.value, null);
  assert.is(m.decision.code, 'POLICY_DENY');
});

test('fmsc explain-call: an unknown agent is denied with UNKNOWN_AGENT and no rule ref', () => {
  const t = run(FMSC, ['explain-call', EXAMPLE, '--agent', 'nobody', '--tool', 'stripe/refund']);
  assert.is(t.status, 0, t.stderr);
  assert.is(t.stdout, "agent nobody: UNKNOWN\ndecision: deny UNKNOWN_AGENT — denied: unknown agent 'nobody'\n");
  const j = run(FMSC, ['explain-call', EXAMPLE, '--agent', 'nobody', '--tool', 'stripe/refund', '--format', 'json']);
  assert.is(j.status, 0, j.stderr);
  const x = JSON.parse(j.stdout) as Explanation;
  assert.is(x.decision.effect, 'deny');
  assert.is(x.decision.code, 'UNKNOWN_AGENT');
  assert.is(x.decision.rule_ref, null);
  assert.equal(x.events, [{ kind: 'agent', agent: 'nobody', known: false }]);
});

test('fmsc explain-call: syntax error exits 1 with a diagnostic; bad flags and missing files exit 2 with one line', () => {
  const src = join(tmp, 'governance.fms');
  writeFileSync(src, 'agent "a" {\n  default deny\n  rules {\n    permit x if (\n  }\n}\n');
  const s = run(FMSC, ['explain-call', src, '--agent', 'a', '--tool', 'x']);
  assert.is(s.status, 1);
  assert.is(s.stdout, '');
  assert.match(s.stderr, /governance\.fms:5:3: error\[FMS\d{4}\]: /);
  assert.match(s.stderr, /\n5 \| {3}\}\n/);
  assert.match(s.stderr, /\nfmsc: `.*governance\.fms` has 1 error\(s\)\n$/);
  assert.not.match(s.stderr, /\x1b\[/);

  const call = [EXAMPLE, '--agent', 'support-bot', '--tool', 'stripe/refund'];
  const bad = run(FMSC, ['explain-call', ...call, '--args', '{"amount":']);
  assert.is(bad.status, 2);
  assert.is(bad.stdout, '');
  oneLine(bad.stderr, /^fmsc: --args is not valid JSON$/m);
  const arr = run(FMSC, ['explain-call', ...call, '--args', '[450]']);
  assert.is(arr.status, 2);
  oneLine(arr.stderr, /^fmsc: --args must be a JSON object$/m);
  const time = run(FMSC, ['explain-call', ...call, '--time', 'yesterday']);
  assert.is(time.status, 2);
  oneLine(time.stderr, /^fmsc: --time must be/);

  const fmt = run(FMSC, ['explain-call', ...call, '--format', 'yaml']);
  assert.is(fmt.status, 2);
  assert.is(fmt.stdout, '');
  assert.match(fmt.stderr, /argument 'yaml' is invalid\. Allowed choices are text, json/);

  assert.is(run(FMSC, ['explain-call', EXAMPLE, '--tool', 'x']).status, 2);
  const missing = run(FMSC, ['explain-call', join(tmp, 'missing.fms'), '--agent', 'a', '--tool', 'x']);
  assert.is(missing.status, 2);
  oneLine(missing.stderr, /^fmsc: cannot read `.*missing\.fms`/);
});

test('fms-run explain (same renderer) also rejects an unknown --format', () => {
  const trust = join(home, 'dev-trust.json');
  const call = [pack, '--trust', trust, '--agent', 'support-bot', '--tool', 'stripe/refund', '--args', '{"amount":450}'];
  const ok = run(RUN, ['explain', ...call]);
  assert.is(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`decision: defer POLICY_DEFER \\(governance\\.fms:${DEFER_REFUND}\\)`));
  const bad = run(RUN, ['explain', ...call, '--format', 'yaml']);
  assert.is(bad.status, 2);
  assert.is(bad.stdout, '');
});

test('--help of inspect and explain-call exits 0 and lists their arguments and options', () => {
  const i = run(FMSC, ['inspect', '--help']);
  assert.is(i.status, 0, i.stderr);
  assert.match(i.stdout, /^Usage: fmsc inspect \[options\] <pack>/);
  assert.match(i.stdout, /disassemble a policy pack/);
  assert.match(i.stdout, /raw pack body/);
  const e = run(FMSC, ['explain-call', '--help']);
  assert.is(e.status, 0, e.stderr);
  assert.match(e.stdout, /^Usage: fmsc explain-call \[options\] \[file\]/);
  for (const o of ['--agent <id>', '--tool <name>', '--args <json>', '--principal <json>', '--session <id>', '--model <name>', '--cost <usd>', '--time <t>', '--format <format>'])
    assert.ok(e.stdout.includes(o), o);
  assert.match(e.stdout, /default: "governance\.fms"/);
  assert.match(e.stdout, /choices: "text", "json"/);
});

test.run();
