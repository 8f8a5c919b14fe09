/**
 * The reference interpreter's egress (written again from the README) against
 * the runtime's, string by string: for hand-picked destinations on the edges
 * of URL parsing and 20,000 random ones, both engines must agree on whether a
 * destination parses, and on the canonical host it names (the runtime's is
 * read from its explain trace, the reference's from its parser).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../../../compiler/src/compile';
import { emitPackBody } from '../../../compiler/src/emit/emit-body';
import { Interpreter, _internal } from '../../../compiler/src/interp/interpret';
import { loadPackBody } from '@fms/runtime';
import { rng } from '../../helpers/fpl-gen';

const SRC = 'agent a {\n  default permit\n  egress { allow = ["*"] }\n}\n';
const ir = compile(SRC, 'governance.fms', { env: {} }).ir!;
const vm = loadPackBody(emitPackBody(ir));
const ip = new Interpreter(ir);
const URL_FIELDS = new Set(['url', 'uri', 'href', 'urls']);

/** What the runtime makes of one destination: its canonical host, or null when refused. */
function runtimeHost(field: string, s: string): string | null {
  const x = vm.explain({ agent: 'a', tool: 't', args: { [field]: s } });
  if (x.decision.effect !== 'permit') return null;
  const e = x.events.find((ev) => ev.kind === 'egress');
  return e && e.kind === 'egress' ? e.host : null;
}

function agree(field: string, s: string): void {
  const want = runtimeHost(field, s);
  const got = _internal.destinationHost(s, URL_FIELDS.has(field));
  assert.is(got, want, `${field} = ${JSON.stringify(s)}`);
  const d = ip.decide({ agent: 'a', tool: 't', args: { [field]: s } });
  assert.is(d.effect === 'permit', want !== null, `reference decision for ${field} = ${JSON.stringify(s)}`);
}

const EDGES = [
  'https://api.example.com/v1', 'https://API.Example.COM./x', 'api.example.com', 'api.example.com.', 'api.example.com..', 'b.com:8443', 'b.com:0', 'b.com:65535', 'b.com:65536', 'b.com:', 'b.com:08',
  'https://x.a.com@evil.test/', 'https://evil.test\\@x.a.com/', 'http://127.0.0.1:8080/', '127.0.0.1', '127.1', '0127.0.0.1', '256.0.0.1', 'http://0x7f.1/', 'http://2130706433/', '1.2.3.4.5',
  'http://[::1]:80/', 'http://[::1]x/', 'http://[::ffff:127.0.0.1]/', '[::1]', '[::ffff:7f00:1]', '[1::2::3]', '[::1', '::1', 'https://ex\u0430mple.com/', 'https://xn--80ak6aa92e.com/', 'ex\u0430mple.com', 'stra\u00dfe.de', 'a\u3002b.com',
  'ftp://b.com/x', '//b.com/x', 'https:/x.a.com', 'api.a.com:443:1', '', ' b.com', 'b.com ', 'https://%62.com/', 'a..com', '-a.com', 'a-.com', '_a.com', 'a_b.com', 'HTTPS://B.COM', '1http://b.com', 'a+b-c.d://b.com', 'a b://c',
  `https://${'a'.repeat(63)}.com/`, `https://${'a'.repeat(64)}.com/`, `${'a.'.repeat(126)}com`, 'https://b.com?x', 'https://b.com#f', 'https://b.com/p?q=http://evil.test', 'b.com/path',
];

test('hand-picked destinations: the reference and the runtime parse alike, in URL and host fields', () => {
  for (const s of EDGES) for (const f of ['url', 'host', 'endpoint', 'hosts']) agree(f, s);
});

test('20,000 random destinations: the reference and the runtime parse alike', () => {
  const r = rng(Number(process.env.FMS_FUZZ_SEED ?? 20261130));
  const PRE = ['', '', 'http://', 'https://', 'a+b://', 'h://', '//', 'http:/'];
  const PARTS = ['a', 'b', 'x', 'Z', '0', '1', '9', '255', '256', '0x', 'f', '.', '.', '-', '_', ':', ':80', ':0', '@', '[', ']', '::', 'ffff', '%', '\\', '/', '?', '#', ' ', '\t', '\u0430', '\u00df', '\u3002', '\uff10', 'xn--', 'com', 'example', '\u0000'];
  for (let i = 0; i < 20_000; i++) {
    let s = r.pick(PRE);
    for (let k = 0, n = 1 + r.int(10); k < n; k++) s += r.pick(PARTS);
    agree(r.pick(['url', 'host', 'domain', 'urls']), s);
  }
});

test.run();
