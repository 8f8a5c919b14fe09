// Azure Key Vault double: keys REST API 7.4 (`GET keys/{name}`, `POST keys/{name}/{version}/sign`
// with `ES256`, raw r||s in base64url). No real Azure account is used.
import { derToRaw, newP256, signDigestDer, startDouble, toHighS, type DoubleKey, type RunningDouble } from './server';

export const AZURE_TEST_TOKEN = 'eyJ.fms-test-token.not-real';

export interface AzureDouble extends RunningDouble {
  key: DoubleKey;
  version: string;
  highS: boolean;
}

export async function startAzureKmsDouble(keyName = 'fms-release'): Promise<AzureDouble> {
  const key = newP256();
  const version = '0123456789abcdef0123456789abcdef';
  const d = { key, version, highS: false } as AzureDouble;
  const err = (status: number, code: string, message: string) => ({ status, json: { error: { code, message } } });
  const running = await startDouble((r) => {
    if (r.headers.authorization !== `Bearer ${AZURE_TEST_TOKEN}`) return err(401, 'Unauthorized', 'AKV10000: request is missing a bearer or pop token');
    if (r.url.searchParams.get('api-version') !== '7.4') return err(400, 'BadParameter', 'api-version');
    const kid = `${running.url}/keys/${keyName}/${version}`;
    const jwk = key.publicKey.export({ format: 'jwk' });
    const p = r.url.pathname;
    if (r.method === 'GET' && (p === `/keys/${keyName}` || p === `/keys/${keyName}/${version}`))
      return { status: 200, json: { key: { kid, kty: 'EC-HSM', crv: 'P-256', x: jwk.x, y: jwk.y, key_ops: ['sign', 'verify'] }, attributes: { enabled: true } } };
    if (r.method === 'POST' && p === `/keys/${keyName}/${version}/sign`) {
      const body = JSON.parse(r.body) as { alg?: string; value?: string };
      if (body.alg !== 'ES256') return err(400, 'BadParameter', 'alg');
      const digest = Buffer.from(body.value ?? '', 'base64url');
      let raw = derToRaw(signDigestDer(key, digest));
      if (d.highS) raw = toHighS(raw);
      return { status: 200, json: { kid, value: raw.toString('base64url') } };
    }
    return err(404, 'KeyNotFound', `no key at ${p}`);
  });
  return Object.assign(d, running);
}
