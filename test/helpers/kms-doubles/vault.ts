// HashiCorp Vault transit double: `GET /v1/transit/keys/:name`,
// `POST /v1/transit/sign/:name[/sha2-256]`. No real Vault server is used.
import { newEd25519, newP256, signDigestDer, signEd25519, startDouble, type DoubleAnswer, type DoubleKey, type DoubleRequest, type RunningDouble } from './server';

export const VAULT_TEST_TOKEN = 'hvs.fms-test-token-not-real';

export interface VaultDouble extends RunningDouble {
  keys: Map<string, { type: 'ed25519' | 'ecdsa-p256'; key: DoubleKey }>;
  /** When set, every request must carry this `X-Vault-Namespace` (Vault Enterprise namespaces). */
  namespace: string | undefined;
  /** A hostile answer instead of the real one (when it returns one). */
  override: ((r: DoubleRequest, real: () => DoubleAnswer) => DoubleAnswer | undefined) | undefined;
}

export async function startVaultDouble(mount = 'transit'): Promise<VaultDouble> {
  const keys = new Map<string, { type: 'ed25519' | 'ecdsa-p256'; key: DoubleKey }>([
    ['fms-ed', { type: 'ed25519', key: newEd25519() }],
    ['fms-p256', { type: 'ecdsa-p256', key: newP256() }],
  ]);
  const err = (status: number, msg: string) => ({ status, json: { errors: [msg] } });
  const d = { namespace: undefined, override: undefined } as VaultDouble;
  const running = await startDouble((r) => d.override?.(r, () => real(r)) ?? real(r));
  function real(r: DoubleRequest): DoubleAnswer {
    if (r.headers['x-vault-token'] !== VAULT_TEST_TOKEN) return err(403, 'permission denied');
    if (d.namespace !== undefined && r.headers['x-vault-namespace'] !== d.namespace) return err(403, 'permission denied (namespace)');
    const m = new RegExp(`^/v1/${mount}/(keys|sign)/([^/]+)(/sha2-256)?$`).exec(r.url.pathname);
    const k = m && keys.get(m[2]!);
    if (!m || !k) return err(404, 'not found');
    if (m[1] === 'keys' && r.method === 'GET') {
      const pk = k.type === 'ed25519' ? k.key.spki.subarray(12).toString('base64') : k.key.pem;
      return { status: 200, json: { data: { name: m[2], type: k.type, latest_version: 1, keys: { '1': { public_key: pk, name: k.type === 'ed25519' ? 'ed25519' : 'P-256' } } } } };
    }
    if (m[1] === 'sign' && r.method === 'POST') {
      const body = JSON.parse(r.body) as { input?: string; prehashed?: boolean; key_version?: number; marshaling_algorithm?: string };
      const input = Buffer.from(body.input ?? '', 'base64');
      if (body.key_version !== undefined && body.key_version !== 1) return err(400, 'invalid key version');
      let sig: Buffer;
      if (k.type === 'ed25519') {
        if (m[3]) return err(400, 'hash algorithm not supported for ed25519');
        sig = signEd25519(k.key, input);
      } else {
        if (!m[3] || !body.prehashed || body.marshaling_algorithm !== 'asn1') return err(400, 'expected prehashed sha2-256 asn1');
        sig = signDigestDer(k.key, input);
      }
      return { status: 200, json: { data: { signature: `vault:v1:${sig.toString('base64')}`, key_version: 1 } } };
    }
    return err(405, 'unsupported operation');
  }
  return Object.assign(d, running, { keys });
}
