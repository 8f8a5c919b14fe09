import { decodeBase64Loose, encodeBase64Url } from '@fms/runtime/crypto';
import { p256Spki } from '@fms/runtime/crypto';
import { ecdsaDigestSigner, type Signer } from '../signer';
import { requestJson, str } from './http';

/** Key Vault REST API version used. */
export const AZURE_API_VERSION = '7.4';

/**
 * Signer for an Azure Key Vault (or Managed HSM) P-256 key through the
 * documented REST API: `GET {vault}/keys/{name}[/{version}]` and
 * `POST {vault}/keys/{name}/{version}/sign` with `alg: ES256` and a
 * base64url SHA-256 digest; the answer is raw `r||s`.
 *
 * URI: `azurekms://<vault>.vault.azure.net/<key>[/<version>]`.
 * Endpoint override: `FMS_AZUREKMS_ENDPOINT` (replaces `https://<vault host>`).
 * Token: `AZURE_ACCESS_TOKEN` (e.g. `az account get-access-token --resource https://vault.azure.net`).
 */
export async function azureKmsSigner(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<Signer> {
  const m = /^azurekms:\/\/([A-Za-z0-9.-]+(?::\d+)?)\/([A-Za-z0-9-]+)(?:\/([A-Za-z0-9]+))?$/.exec(uri);
  if (!m) throw new Error('azurekms uri must be `azurekms://<vault>.vault.azure.net/<key>[/<version>]`');
  const [, host, keyName, version] = m as unknown as [string, string, string, string | undefined];
  const token = env.AZURE_ACCESS_TOKEN;
  if (!token) throw new Error('azurekms: set `AZURE_ACCESS_TOKEN` (e.g. from `az account get-access-token --resource https://vault.azure.net`)');
  const base = (env.FMS_AZUREKMS_ENDPOINT ?? `https://${host}`).replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const keyUrl = `${base}/keys/${encodeURIComponent(keyName)}${version ? '/' + version : ''}?api-version=${AZURE_API_VERSION}`;
  const r = await requestJson('azurekms get key', keyUrl, { method: 'GET', headers });
  const jwk = r.key as Record<string, unknown> | undefined;
  const kty = str('azurekms', jwk, 'kty');
  if ((kty !== 'EC' && kty !== 'EC-HSM') || jwk?.crv !== 'P-256') throw new Error(`azurekms: key is \`${kty}\` \`${String(jwk?.crv)}\`, p-256 expected`);
  const x = decodeBase64Loose(str('azurekms', jwk, 'x'));
  const y = decodeBase64Loose(str('azurekms', jwk, 'y'));
  if (x.length !== 32 || y.length !== 32) throw new Error('azurekms: malformed p-256 key');
  // Sign with exactly the version whose public key we read.
  const kid = str('azurekms', jwk, 'kid');
  const kidVersion = /\/keys\/[^/]+\/([^/?]+)$/.exec(kid)?.[1] ?? version;
  if (!kidVersion) throw new Error('azurekms: cannot tell the key version');
  const point = new Uint8Array(65);
  point[0] = 4;
  point.set(x, 1);
  point.set(y, 33);
  return ecdsaDigestSigner(p256Spki(point), `azure key vault key \`${keyName}/${kidVersion}\``, async (digest) => {
    const s = await requestJson('azurekms sign', `${base}/keys/${encodeURIComponent(keyName)}/${kidVersion}/sign?api-version=${AZURE_API_VERSION}`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ alg: 'ES256', value: encodeBase64Url(digest) }),
    });
    return decodeBase64Loose(str('azurekms', s, 'value'));
  });
}
