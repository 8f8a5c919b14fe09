import { decodeBase64Loose, encodeBase64 } from '@fms/runtime/crypto';
import { ed25519Spki, keyIdOf, parsePublicKey } from '@fms/runtime/crypto';
import { ecdsaDigestSigner, type Signer } from '../signer';
import { requestJson, str } from './http';

/**
 * Signer for a HashiCorp Vault transit key (`ed25519` or `ecdsa-p256`)
 * through the documented HTTP API: `GET /v1/<mount>/keys/<name>` and
 * `POST /v1/<mount>/sign/<name>[/sha2-256]` (ECDSA: `prehashed`, asn1).
 *
 * URI: `hashivault://<key name>`. Address `VAULT_ADDR` (required), token
 * `VAULT_TOKEN`, optional `VAULT_NAMESPACE`, mount
 * `TRANSIT_SECRET_ENGINE_PATH` (default `transit`).
 */
export async function vaultSigner(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<Signer> {
  const name = uri.slice('hashivault://'.length);
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error('hashivault uri must be `hashivault://<transit key name>`');
  const addr = env.VAULT_ADDR?.replace(/\/+$/, '');
  if (!addr) throw new Error('hashivault: set `VAULT_ADDR`');
  if (!env.VAULT_TOKEN) throw new Error('hashivault: set `VAULT_TOKEN`');
  const mount = (env.TRANSIT_SECRET_ENGINE_PATH ?? 'transit').replace(/^\/+|\/+$/g, '');
  const headers: Record<string, string> = { 'x-vault-token': env.VAULT_TOKEN, 'content-type': 'application/json' };
  if (env.VAULT_NAMESPACE) headers['x-vault-namespace'] = env.VAULT_NAMESPACE;
  const k = await requestJson('hashivault read key', `${addr}/v1/${mount}/keys/${name}`, { method: 'GET', headers });
  const data = k.data as Record<string, unknown> | undefined;
  const type = str('hashivault', data, 'type');
  const version = data?.latest_version;
  if (typeof version !== 'number') throw new Error('hashivault: answer lacks `latest_version`');
  const pk = str('hashivault', (data?.keys as Record<string, unknown> | undefined)?.[String(version)], 'public_key');
  const description = `vault transit key \`${name}\` v${version}`;
  const sign = async (path: string, body: Record<string, unknown>): Promise<Uint8Array> => {
    const r = await requestJson('hashivault sign', `${addr}/v1/${mount}/sign/${name}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...body, key_version: version }),
    });
    const sig = str('hashivault', r.data, 'signature');
    const mm = /^vault:v(\d+):(.+)$/.exec(sig);
    if (!mm || Number(mm[1]) !== version) throw new Error('hashivault: signature is not from the expected key version');
    return decodeBase64Loose(mm[2] as string);
  };
  if (type === 'ed25519') {
    const spki = ed25519Spki(decodeBase64Loose(pk));
    return {
      algorithm: 'ed25519',
      publicKeySpki: spki,
      keyId: keyIdOf(spki),
      description,
      sign: (message) => sign('', { input: encodeBase64(message) }),
    };
  }
  if (type === 'ecdsa-p256')
    return ecdsaDigestSigner(parsePublicKey(pk).spki, description, (digest) =>
      sign('/sha2-256', { input: encodeBase64(digest), prehashed: true, marshaling_algorithm: 'asn1' }),
    );
  throw new Error(`hashivault: key type \`${type}\` is not supported (ed25519 or ecdsa-p256)`);
}
