// Azure double over HTTPS (the SDKs insist on it): a Microsoft Entra
// authority (OpenID configuration + the client-credentials token endpoint,
// checking the client secret) and Key Vault's keys API (`GET keys/{name}[/{version}]`,
// `POST keys/{name}/{version}/sign` with ES256, raw r||s in base64url),
// including Key Vault's challenge: a request without a bearer token gets 401
// and `WWW-Authenticate: Bearer authorization="<authority>/<tenant>",
// resource="https://vault.azure.net"`. Only tokens this double issued for
// the vault resource are accepted. No real Azure account is used.
import { randomBytes } from 'node:crypto';
import { derToRaw, newP256, signDigestDer, startDouble, toHighS, type DoubleKey, type RunningDouble } from './server';

export const AZURE_TENANT = '72f988bf-0000-4000-8000-00000000f0f5';
export const AZURE_CLIENT_ID = '00000000-0000-4000-8000-0000000000c1';
export const AZURE_CLIENT_SECRET = 'fms-test-client-secret~not-real';

export interface AzureDouble extends RunningDouble {
  key: DoubleKey;
  version: string;
  keyName: string;
  highS: boolean;
  /** The JWK `crv` reported (to check the client refuses other curves). */
  crv: string;
  /** What happened, in order: 'challenge', 'token', 'get-key', 'sign'. */
  events: string[];
}

export async function startAzureKmsDouble(tls: { key: string; cert: string }, keyName = 'fms-release'): Promise<AzureDouble> {
  const key = newP256();
  const version = '0123456789abcdef0123456789abcdef';
  const issued = new Set<string>();
  const d = { key, version, keyName, highS: false, crv: 'P-256', events: [] as string[] } as AzureDouble;
  const kvErr = (status: number, code: string, message: string, headers?: Record<string, string>) => ({ status, json: { error: { code, message } }, ...(headers ? { headers } : {}) });
  const running = await startDouble((r) => {
    const p = r.url.pathname;
    const base = running.url;
    // --- the authority (MSAL) ---
    if (p === `/${AZURE_TENANT}/v2.0/.well-known/openid-configuration`) {
      return {
        status: 200,
        json: {
          issuer: `${base}/${AZURE_TENANT}/v2.0`,
          authorization_endpoint: `${base}/${AZURE_TENANT}/oauth2/v2.0/authorize`,
          token_endpoint: `${base}/${AZURE_TENANT}/oauth2/v2.0/token`,
          end_session_endpoint: `${base}/${AZURE_TENANT}/oauth2/v2.0/logout`,
          jwks_uri: `${base}/${AZURE_TENANT}/discovery/v2.0/keys`,
          response_types_supported: ['code', 'id_token', 'token'],
          scopes_supported: ['openid'],
        },
      };
    }
    if (p === `/${AZURE_TENANT}/oauth2/v2.0/token` && r.method === 'POST') {
      const form = new URLSearchParams(r.body);
      if (form.get('grant_type') !== 'client_credentials') return { status: 400, json: { error: 'unsupported_grant_type', error_description: 'AADSTS70003: unsupported grant' } };
      if (form.get('client_id') !== AZURE_CLIENT_ID || form.get('client_secret') !== AZURE_CLIENT_SECRET)
        return { status: 401, json: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] } };
      if (!(form.get('scope') ?? '').split(' ').includes('https://vault.azure.net/.default')) return { status: 400, json: { error: 'invalid_scope', error_description: 'AADSTS70011: invalid scope' } };
      const token = `eyJ0eXAi.fms-double-${randomBytes(12).toString('hex')}.sig`;
      issued.add(token);
      d.events.push('token');
      return { status: 200, json: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token } };
    }
    // --- Key Vault ---
    if (!p.startsWith('/keys/')) return kvErr(404, 'NotFound', `nothing at ${p}`);
    const auth = /^Bearer (\S+)$/.exec(String(r.headers.authorization ?? ''));
    if (!auth || !issued.has(auth[1]!)) {
      d.events.push('challenge');
      return kvErr(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', {
        'www-authenticate': `Bearer authorization="${base}/${AZURE_TENANT}", resource="https://vault.azure.net"`,
      });
    }
    if (!r.url.searchParams.get('api-version')) return kvErr(400, 'BadParameter', 'api-version is missing');
    const kid = `${base}/keys/${keyName}/${version}`;
    const jwk = key.publicKey.export({ format: 'jwk' });
    if (r.method === 'GET' && (p === `/keys/${keyName}` || p === `/keys/${keyName}/` || p === `/keys/${keyName}/${version}`)) {
      d.events.push('get-key');
      return { status: 200, json: { key: { kid, kty: 'EC-HSM', crv: d.crv, x: jwk.x, y: jwk.y, key_ops: ['sign', 'verify'] }, attributes: { enabled: true, created: 1700000000, updated: 1700000000, recoveryLevel: 'Recoverable' } } };
    }
    if (r.method === 'POST' && p === `/keys/${keyName}/${version}/sign`) {
      const body = JSON.parse(r.body) as { alg?: string; value?: string };
      if (body.alg !== 'ES256') return kvErr(400, 'BadParameter', 'alg');
      const digest = Buffer.from(body.value ?? '', 'base64url');
      if (digest.length !== 32) return kvErr(400, 'BadParameter', 'digest must be 32 bytes for ES256');
      let raw = derToRaw(signDigestDer(key, digest));
      if (d.highS) raw = toHighS(raw);
      d.events.push('sign');
      return { status: 200, json: { kid, value: raw.toString('base64url') } };
    }
    return kvErr(404, 'KeyNotFound', `A key with (name/id) ${p} was not found in this key vault.`);
  }, tls);
  return Object.assign(d, running);
}
