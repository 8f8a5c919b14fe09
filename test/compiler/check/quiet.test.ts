import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../../../compiler/src/compile';
import { registryResolver, writeLock } from '../../../compiler/src/cli/registry';
import { PACKAGE_PAYLOAD_TYPE, packageSignatureFileText } from '../../../compiler/src/sign/package-statement';
import { ed25519Spki, keyIdOf } from '@fms/runtime/crypto';
import { canonicalJsonBytes } from '@fms/runtime/format';
import { encodeEnvelope, pae } from '@fms/runtime/format';

ed.hashes.sha512 = sha512;

/** The registry `.sig` file for a package (what `fmsc sign-package` writes), made with `sk`. */
function packageSig(ref: string, version: string, bytes: Uint8Array, sk: Uint8Array): string {
  const payload = canonicalJsonBytes({ ref, version, sha256: createHash('sha256').update(bytes).digest('hex') });
  const keyid = keyIdOf(ed25519Spki(ed.getPublicKey(sk)));
  return packageSignatureFileText(encodeEnvelope({ payloadType: PACKAGE_PAYLOAD_TYPE, payload, signatures: [{ keyid, sig: ed.sign(pae(PACKAGE_PAYLOAD_TYPE, payload), sk) }] }));
}

/** A correct policy that exercises every check: none of them may speak. */
const CORRECT = `
import "example.com/acme/base@1.2.3" as base with widen

agent "payments" {
  default deny
  model = "gpt-4o"
  var prod_host = "api.example.com"

  rules {
    deny! shell/* reason: "never shell"
    permit stripe/charge if amount < $50
    permit stripe/charge if amount < $500 and principal.groups contains "ops"
    defer  stripe/charge if amount < $5000 notify: "finance"
    deny   stripe/charge
    permit api/health host prod_host method GET path /v1/*
    permit send_email if args.to matches "@example\\\\.com$" and time.hour >= 8 and time.hour < 18
    deny   stripe/refund if session.sum(stripe/refund.amount, window=1h) > 2000
    defer  stripe/refund if history_tool_count("stripe/refund") > 20 || args.currency not in ["USD", "EUR"]
    permit stripe/refund
  }

  phase intake {
    duration = "1h"
    next     = "execute"
    permit read_customer
  }

  phase execute {
    permit stripe/payouts if args.amount <= $100
  }

  rate_limit "stripe/*": 10 per minute
  budget daily {
    max       $500
    warn_at   0.8
    on_exceed defer
  }
  budget session { max_calls 50 }
  redact stripe/charge args: ["card.number", "card.cvv"]
  egress { allow = ["api.stripe.com", "*.example.com"] }
  model_policy { allow = ["gpt-4o"] }
  session {
    max_duration = "30m"
    idle_timeout = "5m"
    max_calls    = 200
  }
  delegate helper {
    ttl       1h
    scope     "lookup*"
    ceiling   inherited
    max_depth 2
  }
  delegate helper {
    scope   "stripe/refund:amount<=500"
    ceiling defer
  }
  use base {}
}

agent "helper" {
  default deny
  rules { permit lookup }
}
`;

test('constructs this toolchain does not enforce are never quiet (FMS2063; issue 9, class 9)', () => {
  const text = `runtime {\n  mode = "audit"\n}\nprovider "vault" {\n  type = "vault"\n}\nagent "a" {\n  default deny\n  rules { permit x }\n  alert { on = "deny" notify = "slack://#sec" }\n}\n`;
  const r = compile(text, 'governance.fms', { env: {} });
  assert.equal(
    r.diagnostics.map((d) => `${d.code} ${d.severity} ${d.message}`),
    ['FMS2063 warning `runtime` field `mode` is not enforced by this toolchain', 'FMS2063 warning `provider` is not enforced by this toolchain', 'FMS2063 warning `alert` is not enforced by this toolchain'],
  );
});

test('every check stays quiet on a correct policy that uses every feature (with a signed, pinned import)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fms-quiet-'));
  const reg = join(dir, 'registry', 'example.com', 'acme');
  mkdirSync(reg, { recursive: true });
  const artifact = Buffer.from('agent "payments" {\n  default deny\n  rules { permit imported/lookup }\n}\n');
  writeFileSync(join(reg, 'base@1.2.3.fms'), artifact);
  const sk = ed.utils.randomSecretKey();
  const pk = Buffer.from(ed.getPublicKey(sk)).toString('base64');
  writeFileSync(join(reg, 'base@1.2.3.fms.sig'), packageSig('example.com/acme/base', '1.2.3', artifact, sk));
  const text = `trust {\n  key "example.com/acme" ed25519:${pk}\n}\n${CORRECT}`;
  const src = join(dir, 'governance.fms');
  writeFileSync(src, text);
  const opts = { env: { VAULT_ADDR: 'https://vault', VAULT_TOKEN: 't' }, resolveImport: registryResolver(join(dir, 'registry'), src) };
  const r = compile(text, 'governance.fms', opts);
  assert.equal(r.diagnostics.map((d) => `${d.code} ${d.message}`), []);
  const payments = r.ir!.agents.find((a) => a.id === 'payments')!;
  // The imported agent's rules merge after the local ones.
  assert.is(payments.rules[payments.rules.length - 1]!.tool.text, 'imported/lookup');
  assert.equal(payments.phases.map((p) => [p.id, p.next ?? null]), [['intake', 'execute'], ['execute', null]]);
  assert.is(payments.rules.find((x) => x.network)!.network!.host, 'api.example.com');
  // The lockfile records the digest; a changed artifact is then refused.
  writeLock(src, r.ir!);
  assert.ok(existsSync(src + '.lock'));
  assert.match(readFileSync(src + '.lock', 'utf8'), /example\.com\/acme\/base@1\.2\.3/);
  writeFileSync(join(reg, 'base@1.2.3.fms'), Buffer.concat([artifact, Buffer.from('# changed\n')]));
  const again = compile(text, 'governance.fms', { ...opts, resolveImport: registryResolver(join(dir, 'registry'), src) });
  assert.ok(again.diagnostics.some((d) => d.code === 'FMS2023'));
});

test('a tampered signature on a pinned import is refused (FMS2024)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fms-sig-'));
  const reg = join(dir, 'registry', 'example.com', 'acme');
  mkdirSync(reg, { recursive: true });
  const artifact = Buffer.from('agent "x" {\n  default deny\n}\n');
  writeFileSync(join(reg, 'p@1.0.0.fms'), artifact);
  const sk = ed.utils.randomSecretKey();
  const other = ed.utils.randomSecretKey();
  writeFileSync(join(reg, 'p@1.0.0.fms.sig'), packageSig('example.com/acme/p', '1.0.0', artifact, other));
  const text = `trust {\n  key "example.com/acme" ed25519:${Buffer.from(ed.getPublicKey(sk)).toString('base64')}\n}\nimport "example.com/acme/p@1.0.0"\n`;
  const src = join(dir, 'governance.fms');
  const r = compile(text, 'governance.fms', { resolveImport: registryResolver(join(dir, 'registry'), src) });
  assert.ok(r.diagnostics.some((d) => d.code === 'FMS2024' && /does not verify/.test(d.message)));
});

test('unpinned imports are refused, whatever the form', () => {
  for (const ref of ['a.com/x/y@latest', 'a.com/x/y@^1.2.0', 'a.com/x/y@1.2', 'a.com/x/y', 'a.com/x/y@~1.0.0']) {
    const r = compile(`import "${ref}"\n`, 'governance.fms');
    assert.ok(r.diagnostics.some((d) => d.code === 'FMS2021'), ref);
  }
  assert.not.ok(compile('import "a.com/x/y@1.2.3-rc.1"\n', 'governance.fms').diagnostics.some((d) => d.code === 'FMS2021'));
});

test.run();
