/**
 * Canonical refs and trust scopes (issue 18, classes 1 and 2): one spelling per
 * package, so no ref reads outside the registry or reaches a pinned package
 * under a second name; scopes that would cover nothing are errors; an unpinned
 * look-alike of a pinned publisher is an error.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../../../compiler/src/compile';
import { parseImportRef, scopeProblem, skeleton } from '../../../compiler/src/ir/refs';

const KEY = 'GX9rI+FshTLGq8g4+s1ep4m+DHaykgM0A5v6iz02jWE=';
const codes = (text: string): string[] => compile(text, 'governance.fms').diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);

test('canonical refs are accepted and split into host, path and version', () => {
  for (const [ref, host, path, version] of [
    ['example.com/acme/pay@1.0.0', 'example.com', 'acme/pay', '1.0.0'],
    ['github.com/faramesh/faramesh-registry/policies/stripe@1.3.0', 'github.com', 'faramesh/faramesh-registry/policies/stripe', '1.3.0'],
    ['xn--exmple-4nf.com/acme/pay@1.2.3-rc.1+build.5', 'xn--exmple-4nf.com', 'acme/pay', '1.2.3-rc.1+build.5'],
    ['localhost/x_y.z-w@0.0.0', 'localhost', 'x_y.z-w', '0.0.0'],
  ] as const) {
    const r = parseImportRef(ref);
    assert.ok(r.ok, ref);
    if (r.ok) assert.equal([r.value.host, r.value.path, r.value.version], [host, path, version]);
  }
});

test('every second spelling of a package, and every way out of the registry, is FMS2070', () => {
  const bad = [
    '../outside/evil@1.0.0',
    '../../x@1.0.0',
    './example.com/acme/pay@1.0.0',
    '/etc/passwd@1.0.0',
    'example.com//acme/pay@1.0.0',
    'example.com/./acme/pay@1.0.0',
    'evil.com/../example.com/acme/pay@1.0.0',
    'example.com/acme/pay/@1.0.0',
    'example.com/acme/..@1.0.0',
    'Example.com/acme/pay@1.0.0',
    'example.com/Acme/pay@1.0.0',
    'https://example.com/acme/pay@1.0.0',
    'example.com:443/acme/pay@1.0.0',
    'exаmple.com/acme/pay@1.0.0', // Cyrillic а: only punycode may carry it
    'example.com/acme/p%2e%2e/pay@1.0.0',
    'example.com/acme\\..\\pay@1.0.0',
    'example.com/acme/pay\u0000@1.0.0',
    'example.com/acme/pa y@1.0.0',
    'example.com@1.0.0',
    '-example.com/acme/pay@1.0.0',
    'ab--cd.com/acme/pay@1.0.0',
    'xn--zz.com/acme/pay@1.0.0',
    'example..com/acme/pay@1.0.0',
    `example.com/${'a'.repeat(101)}@1.0.0`,
    `example.com/${'a/'.repeat(300)}x@1.0.0`,
    '__proto__/constructor@1.0.0'.toUpperCase(),
  ];
  for (const ref of bad) {
    const r = parseImportRef(ref);
    assert.not.ok(r.ok, ref);
    if (!r.ok) assert.is(r.problem.code, 'FMS2070', ref);
  }
  // The same refs in a source are errors at lowering, before any file is touched.
  assert.equal(codes('import "example.com//acme/pay@1.0.0"\nimport "../outside/evil@1.0.0"\n'), ['FMS2070', 'FMS2070']);
  // Prototype names are ordinary, lower-case segments.
  assert.ok(parseImportRef('example.com/__proto__/constructor@1.0.0').ok);
});

test('versions are exact semver (semver.org 2.0.0); anything else stays FMS2021', () => {
  for (const v of ['latest', '^1.2.0', '~1.0.0', '1.2', '01.0.0', '1.0.00', '1.0.0-', '1.0.0-01', '1.0.0+', '1.0.0-a..b', '1.0.0 ', 'v1.0.0', '1.0.0@2.0.0', '']) {
    const r = parseImportRef(`example.com/acme/pay@${v}`);
    assert.not.ok(r.ok, v);
    if (!r.ok) assert.is(r.problem.code, 'FMS2021', v);
  }
  for (const v of ['0.0.0', '1.0.0-0', '1.0.0-alpha.1', '1.0.0-x-y.0a', '1.0.0+001', '10.20.30-rc.1+sha.5114f85']) assert.ok(parseImportRef(`example.com/acme/pay@${v}`).ok, v);
});

test('a scope that would cover nothing is FMS2071, one line saying why', () => {
  const bad = ['Example.com/acme', 'https://example.com/acme', 'example.com/acme/*', '*', 'example.com/acme/pay@1.0.0', 'example.com/acme/', 'example.com//acme', '', 'exаmple.com', 'example.com/../acme', 'toString'.toUpperCase(), '__proto__'];
  for (const s of bad) assert.ok(scopeProblem(s), s);
  for (const s of ['example.com', 'example.com/acme', 'xn--exmple-4nf.com', 'github.com/faramesh/faramesh-registry', 'constructor', 'example.com/__proto__']) assert.is(scopeProblem(s), undefined, s);
  const text = `trust {\n  key "Example.com/acme" ed25519:${KEY}\n  key "example.com/acme/*" ed25519:${KEY}\n  key "example.com/acme" ed25519:${KEY}\n}\n`;
  assert.equal(codes(text), ['FMS2071', 'FMS2071']);
});

test('an unpinned import that reads like a pinned publisher is FMS2072; a pinned or unrelated one is not', () => {
  const pin = `trust {\n  key "example.com/acme" ed25519:${KEY}\n}\n`;
  for (const ref of [
    'xn--exmple-4nf.com/acme/pay@1.0.0', // Cyrillic а
    'xn--xample-2of.com/acme/pay@1.0.0', // Cyrillic е
    'examp1e.com/acme/pay@1.0.0',
    'exarnple.com/acme/pay@1.0.0',
    'example.corn/acme/pay@1.0.0',
    'example.com/acrne/pay@1.0.0',
    'exampie.com/acme/pay@1.0.0'.replace('i', 'l'), // control: the real host, pinned
  ]) {
    const c = codes(pin + `import "${ref}"\n`);
    if (ref.startsWith('example.com/acme/')) assert.equal(c, [], ref);
    else assert.equal(c, ['FMS2072'], ref);
  }
  assert.equal(codes(pin + 'import "example.com/other/pay@1.0.0"\n'), []);
  assert.equal(codes(pin + 'import "other.org/acme/pay@1.0.0"\n'), []);
  // Pinning the look-alike's own key is the way to import it.
  assert.equal(codes(`trust {\n  key "example.com/acme" ed25519:${KEY}\n  key "examp1e.com" ed25519:${KEY}\n}\nimport "examp1e.com/acme/pay@1.0.0"\n`), []);
});

test('skeletons: punycode decoded, look-alikes folded', () => {
  assert.is(skeleton('xn--exmple-4nf.com/acme'), skeleton('example.com/acme'));
  assert.is(skeleton('g00gle.com'), skeleton('google.com'));
  assert.is(skeleton('paypa1.com'), skeleton('paypal.com'));
  assert.is.not(skeleton('example.org'), skeleton('example.com'));
});

test.run();
