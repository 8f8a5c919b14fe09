import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { decodeBase64Loose, encodeBase64 } from '@fms/runtime/crypto';
import { ed25519Spki, parsePublicKey } from '@fms/runtime/crypto';
import { ecdsaDigestSigner, ed25519Signer, type Signer } from './signer';
import { requestJson, str } from './http';

/**
 * Signer for a HashiCorp Vault transit key (`ed25519` or `ecdsa-p256`)
 * through the documented HTTP API: `GET /v1/<mount>/keys/<name>` and
 * `POST /v1/<mount>/sign/<name>[/sha2-256]` (ECDSA: `prehashed`, asn1).
 *
 * URI: `hashivault://<key name>`. As the Vault CLI: address `VAULT_ADDR`
 * (default `https://127.0.0.1:8200`), token `VAULT_TOKEN`, else the token
 * helper's file `~/.vault-token`; `VAULT_NAMESPACE` (Enterprise namespaces);
 * mount `TRANSIT_SECRET_ENGINE_PATH` (default `transit`).
 */
export async function vaultSigner(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<Signer> {
  const name = uri.slice('hashivault://'.length);
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}$/.test(name)) throw new Error('hashivault uri must be `hashivault://<transit key name>`');
  const addr = (env.VAULT_ADDR || 'https://127.0.0.1:8200').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(addr)) throw new Error('hashivault: `VAULT_ADDR` must be an http(s) url');
  const token = vaultToken(env);
  const mount = (env.TRANSIT_SECRET_ENGINE_PATH ?? 'transit').replace(/^\/+|\/+$/g, '');
  if (!/^[A-Za-z0-9_.\/-]{1,200}$/.test(mount) || mount.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new Error('hashivault: `TRANSIT_SECRET_ENGINE_PATH` is not a mount path');
  const headers: Record<string, string> = { 'x-vault-token': token, 'content-type': 'application/json' };
  if (env.VAULT_NAMESPACE) headers['x-vault-namespace'] = env.VAULT_NAMESPACE;
  const k = await requestJson('hashivault read key', `${addr}/v1/${mount}/keys/${name}`, { method: 'GET', headers });
  const data = k.data as Record<string, unknown> | undefined;
  const type = str('hashivault', data, 'type');
  const version = data?.latest_version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) throw new Error('hashivault: answer lacks a valid `latest_version`');
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
    return ed25519Signer(ed25519Spki(decodeBase64Loose(pk)), description, (message) => sign('', { input: encodeBase64(message) }));
  }
  if (type === 'ecdsa-p256')
    return ecdsaDigestSigner(parsePublicKey(pk).spki, description, (digest) =>
      sign('/sha2-256', { input: encodeBase64(digest), prehashed: true, marshaling_algorithm: 'asn1' }),
      undefined,
      'der', // marshaling_algorithm asn1
    );
  throw new Error(`hashivault: key type \`${type}\` is not supported (ed25519 or ecdsa-p256)`);
}

/**
 * The Vault token as the CLI finds it: `VAULT_TOKEN`, else the first line of
 * `~/.vault-token` (what `vault login` writes). Never echoed in errors.
 */
export function vaultToken(env: NodeJS.ProcessEnv): string {
  if (env.VAULT_TOKEN) return env.VAULT_TOKEN;
  const file = join(env.HOME || homedir(), '.vault-token');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error('hashivault: no token: set `VAULT_TOKEN` or run `vault login` (writes ~/.vault-token)');
    throw new Error(`hashivault: cannot read \`${file}\`: ${code ?? 'error'}`);
  }
  const t = text.split(/\r?\n/)[0]!.trim();
  if (!t) throw new Error(`hashivault: \`${file}\` is empty`);
  if (!/^[\x21-\x7e]{1,4096}$/.test(t)) throw new Error(`hashivault: \`${file}\` does not hold a token`);
  return t;
}
