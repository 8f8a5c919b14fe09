// A throwaway certificate authority and a server certificate for 127.0.0.1,
// made with the openssl command line, for doubles of services whose SDK
// insists on HTTPS. Children trust the CA through NODE_EXTRA_CA_CERTS.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestTls {
  /** PEM file of the CA certificate (for NODE_EXTRA_CA_CERTS). */
  caFile: string;
  /** Server key and certificate (PEM), valid for IP 127.0.0.1 and localhost. */
  key: string;
  cert: string;
}

export function makeTestTls(): TestTls {
  const dir = mkdtempSync(join(tmpdir(), 'fms-test-ca-'));
  const f = (n: string): string => join(dir, n);
  const run = (args: string[]): void => void execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('ca.key')]);
  run(['req', '-x509', '-new', '-key', f('ca.key'), '-subj', '/CN=fms test CA (throwaway)', '-days', '2', '-sha256', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', f('ca.pem')]);
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('srv.key')]);
  run(['req', '-new', '-key', f('srv.key'), '-subj', '/CN=127.0.0.1', '-out', f('srv.csr')]);
  writeFileSync(f('ext.cnf'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(['x509', '-req', '-in', f('srv.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-sha256', '-extfile', f('ext.cnf'), '-out', f('srv.pem')]);
  return { caFile: f('ca.pem'), key: readFileSync(f('srv.key'), 'utf8'), cert: readFileSync(f('srv.pem'), 'utf8') };
}
