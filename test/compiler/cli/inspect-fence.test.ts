import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inspectBody } from '../../../compiler/src/cli/commands/inspect';
import { compile } from '../../../compiler/src/compile';
import { emitPackBody } from '../../../compiler/src/emit/emit-body';

test('fmsc inspect shows each fenced agent: Landlock rules and the BPF of both architectures', () => {
  const r = compile('agent "a" {\n  default deny\n  enforcement {\n    fs_read = ["/usr"]\n    net_bind = [8443]\n  }\n}\nagent "b" { default deny }\n', 'g.fms', { env: {} });
  const text = inspectBody(emitPackBody(r.ir!));
  assert.match(text, /0x40 SECCOMP_X86_64/);
  assert.match(text, /0x42 LANDLOCK/);
  assert.match(text, /fence agent "a": profile full, isolation process/);
  assert.match(text, /fence     path \/usr: read_file read_dir/);
  assert.match(text, /fence     tcp port 8443: bind_tcp/);
  assert.match(text, /fence   seccomp x86_64: \d+ instructions/);
  assert.match(text, /fence   seccomp aarch64: \d+ instructions/);
  assert.match(text, /jeq  0xc00000b7/);
  assert.not.match(text.slice(text.indexOf('agent b')), /fence/);
});

test.run();
