/**
 * Egress (issue 9, class 2): every destination a call carries must pass; a
 * destination that cannot be parsed is EGRESS_DENIED; bad list entries are
 * compile errors. Each test below fails on the code before the fix.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '@fms/compiler';
import { emitPackBody } from '@fms/compiler';
import type { Policy } from '@fms/compiler';
import { ManualClock, MemoryState } from '../../../runtime/src/state/store';
import { DESTINATION_FIELDS, canonicalHostPattern, checkEgress, parseDestination } from '../../../runtime/src/vm/egress';
import { loadPackBody } from '../../../runtime/src/vm/loaded-pack';
import type { Call } from '../../../runtime/src/vm/types';
import { agent, hosts, policy, rule } from '../../helpers/ir-builder';

const T0 = Date.UTC(2026, 4, 17, 10, 0, 0);

function load(p: Policy) {
  return loadPackBody(emitPackBody(p), { clock: new ManualClock(T0), state: new MemoryState() });
}

function fromSource(src: string) {
  const r = compile(src, 'governance.fms', { env: {} });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  return { ir: r.ir, errors };
}

const call = (args: Record<string, unknown>): Call => ({ agent: 'bot', tool: 'http/get', args });

const pack = load(policy(agent('bot', [rule('permit', 'http/*', { line: 2 })], { egress: hosts(['*.example.com'], ['evil.example.com'], 80) })));
const decide = (args: Record<string, unknown>) => pack.decide(call(args));

test('a decoy `host` does not hide the URL actually used', () => {
  const d = decide({ host: 'api.example.com', url: 'https://evil.test/x' });
  assert.equal([d.effect, d.code, d.rule_ref], ['deny', 'EGRESS_DENIED', 'governance.fms:80']);
  assert.match(d.human_message, /evil\.test/);
  // and the other way round
  assert.is(decide({ url: 'https://api.example.com/x', host: 'evil.test' }).code, 'EGRESS_DENIED');
  // every documented destination field is read
  for (const f of DESTINATION_FIELDS) {
    const v = f === 'urls' || f === 'hosts' ? ['https://a.example.com/', 'https://evil.test/'] : f === 'url' || f === 'uri' || f === 'href' ? 'https://evil.test/' : 'evil.test';
    assert.is(decide({ url: 'https://a.example.com/', [f]: v }).code, 'EGRESS_DENIED', f);
  }
});

test('destinations that cannot be parsed are denied, not ignored', () => {
  const bad: Array<[string, unknown]> = [
    ['non-string host', { host: 5 }],
    ['null url', { url: null }],
    ['object url', { url: { href: 'https://api.example.com' } }],
    ['url without scheme', { url: 'evil.test/x' }],
    ['scheme-relative url', { url: '//evil.test/x' }],
    ['empty url', { url: '' }],
    ['userinfo trick', { url: 'https://api.example.com@evil.test/' }],
    ['userinfo trick with port', { url: 'https://api.example.com:443@evil.test/' }],
    ['backslash trick', { url: 'https://evil.test\\@api.example.com/' }],
    ['backslash as slash', { url: 'https://evil.test\\.api.example.com/' }],
    ['tab in host', { url: 'https://ev\til.test.api.example.com/' }],
    ['percent-escaped host', { url: 'https://api%2eexample.com/' }],
    ['bad port', { url: 'https://api.example.com:99999/' }],
    ['two colons', { host: 'api.example.com:1:2' }],
    ['path in host field', { host: 'api.example.com/x' }],
    ['empty label', { host: 'a..example.com' }],
    ['numeric host', { url: 'http://2130706433/' }],
    ['hex host', { url: 'http://0x7f.0.0.1/' }],
    ['nested list', { urls: [['https://api.example.com/']] }],
    ['non-string list item', { hosts: ['a.example.com', 1] }],
    ['huge list', { hosts: new Array(1000).fill('a.example.com') }],
    ['leading space', { url: ' https://api.example.com/' }],
  ];
  for (const [name, args] of bad) {
    const d = decide(args as Record<string, unknown>);
    assert.equal([d.effect, d.code], ['deny', 'EGRESS_DENIED'], name);
    assert.not.match(d.human_message, /\n/, name);
  }
});

test('canonical hosts: case, trailing dot, IDN, IPv6, ports and paths', () => {
  assert.is(decide({ url: 'https://API.Example.COM./v1?q=1#f' }).effect, 'permit');
  assert.is(decide({ url: 'https://api.example.com:8443/v1' }).effect, 'permit');
  assert.is(decide({ host: 'api.example.com:443' }).effect, 'permit');
  assert.is(decide({ endpoint: 'api.example.com' }).effect, 'permit');
  // the deny list wins, whatever the spelling
  for (const u of ['https://evil.example.com/', 'https://EVIL.example.com./', 'https://evil.example.com:443/']) assert.is(decide({ url: u }).code, 'EGRESS_DENIED', u);
  // IDN → punycode
  const p = parseDestination('https://bücher.example.com/', true);
  assert.equal(p, { host: 'xn--bcher-kva.example.com' });
  assert.is(decide({ url: 'https://bücher.example.com/' }).effect, 'permit');
  // IPv6 in canonical text
  assert.equal(parseDestination('http://[0:0:0:0:0:0:0:1]:8080/', true), { host: '[::1]' });
  assert.equal(canonicalHostPattern('[0::1]'), '[::1]');
  const v6 = load(policy(agent('bot', [rule('permit', '*')], { egress: hosts([], ['[::1]', '127.0.0.1']) })));
  assert.is(v6.decide(call({ url: 'http://[::0:1]/' })).code, 'EGRESS_DENIED');
  assert.is(v6.decide(call({ url: 'http://127.0.0.1/' })).code, 'EGRESS_DENIED');
  assert.is(v6.decide(call({ url: 'http://0177.0.0.1/' })).code, 'EGRESS_DENIED');
  assert.is(v6.decide(call({ url: 'http://[::ffff:127.0.0.1]/' })).code, 'EGRESS_DENIED');
  assert.is(v6.decide(call({ url: 'http://[::ffff:7f00:1]:80/' })).code, 'EGRESS_DENIED');
  assert.equal(parseDestination('http://[::ffff:10.0.0.1]/', true), { host: '10.0.0.1' });
  // the authority ends at the first `/`, `?` or `#`: an `@` after it is not userinfo
  assert.equal(parseDestination('https://api.example.com#@evil.test', true), { host: 'api.example.com' });
  assert.equal(parseDestination('https://api.example.com?x=@evil.test', true), { host: 'api.example.com' });
  assert.ok('why' in parseDestination('evil.test/?r=https://api.example.com', true));
  assert.is(v6.decide(call({ url: 'http://api.example.com/' })).effect, 'permit');
});

test('calls without a destination pass; prototype names are not destinations', () => {
  assert.is(decide({}).effect, 'permit');
  assert.is(decide({ path: '/etc/passwd', amount: 3 }).effect, 'permit');
  const proto = JSON.parse('{"__proto__": {"url": "https://evil.test/"}, "constructor": "x", "toString": 1}') as Record<string, unknown>;
  assert.is(decide(proto).effect, 'permit');
  // a destination inherited through the prototype chain is checked too (fail closed)
  assert.is(checkEgress(['*.example.com'], [], Object.create({ url: 'https://evil.test/' }) as Record<string, unknown>).ok, false);
});

test('compile: non-string entries and unknown names are errors; vars resolve', () => {
  for (const body of ['allow = [5]', 'allow = [true]', 'allow = [nil]', 'allow = [h]', 'allow = h', 'allow = [["a.com"]]', 'deny = [1]', 'allow = ["https://a.com/"]']) {
    const { errors } = fromSource(`agent "bot" {\n  default deny\n  rules { permit http/* }\n  egress { ${body} }\n}\n`);
    assert.ok(errors.some((e) => /^FMS206[012]$/.test(e.code)), `${body}: ${errors.map((e) => e.code).join(',')}`);
  }
  const { ir, errors } = fromSource('agent "bot" {\n  default deny\n  var h = "API.example.com."\n  var many = ["a.example.com", "b.example.com"]\n  rules { permit http/* }\n  egress { allow = [h, many, "*.Example.org"] }\n}\n');
  assert.equal(errors, []);
  assert.equal(ir!.agents[0]!.egress!.allow, ['api.example.com', 'a.example.com', 'b.example.com', '*.example.org']);
  const mp = fromSource('agent "bot" {\n  default deny\n  rules { permit * }\n  model_policy { allow = [5] }\n}\n');
  assert.ok(mp.errors.some((e) => e.code === 'FMS2060'));
  const bad = fromSource('agent "bot" {\n  default deny\n  var n = 5\n  rules { permit * }\n  egress { allow = [n] }\n}\n');
  assert.ok(bad.errors.some((e) => e.code === 'FMS2060'));
  // a prototype name is not a var
  const proto = fromSource('agent "bot" {\n  default deny\n  rules { permit * }\n  egress { allow = [toString, constructor, __proto__] }\n}\n');
  assert.is(proto.errors.filter((e) => e.code === 'FMS2061').length, 3);
});

test('compiled policy: decoy host and no-scheme url are denied end to end', () => {
  const { ir, errors } = fromSource('agent "bot" {\n  default deny\n  rules { permit http/* }\n  egress { allow = ["*.example.com"] }\n}\n');
  assert.equal(errors, []);
  const p = load(ir!);
  assert.is(p.decide(call({ host: 'api.example.com', url: 'https://evil.test/x' })).code, 'EGRESS_DENIED');
  assert.is(p.decide(call({ url: 'evil.test/x' })).code, 'EGRESS_DENIED');
  assert.is(p.decide(call({ host: ['api.example.com'] })).effect, 'permit');
  assert.is(p.decide(call({ host: 7 })).code, 'EGRESS_DENIED');
  assert.is(p.decide(call({ url: 'https://api.example.com/x' })).effect, 'permit');
});

test.run();
