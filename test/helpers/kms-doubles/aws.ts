// AWS KMS double: JSON 1.1 protocol (`X-Amz-Target: TrentService.*`) with a
// real SigV4 check of every request (the official SDK signs them). No real AWS account is used.
import { createHash, createHmac } from 'node:crypto';
import { derToRaw, newP256, rawToDer, signDigestDer, startDouble, toHighS, type DoubleKey, type RunningDouble } from './server';

export const AWS_TEST_CREDS = { accessKeyId: 'AKIDFMSTEST', secretAccessKey: 'fms-test-secret-key/not-real', region: 'eu-west-1' };

export interface AwsDouble extends RunningDouble {
  keys: Map<string, DoubleKey>;
  /** Return high-S signatures (to check the client normalises). */
  highS: boolean;
  /** The KeySpec GetPublicKey reports (to check the client refuses other key types). */
  keySpec: string;
}

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A request as the SigV4 check sees it. */
export interface SigV4Request {
  method: string;
  /** The path as sent (already URI-encoded). */
  path: string;
  /** The raw query string without `?`. */
  query: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Independent SigV4 verification (the server side of the protocol, sharing
 * no code with any client): recomputes the signature of `r` with `secret`
 * and says why it does not match, or undefined when it does. Checked
 * against AWS's published test vectors in test/sign/kms-aws.test.ts.
 */
export function sigv4Check(r: SigV4Request, creds: { accessKeyId: string; secretAccessKey: string }, want: { region: string; service: string; mustSign: string[] }): string | undefined {
  const auth = String(r.headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return 'missing or malformed authorization';
  const [, akid, day, region, service, signed, sig] = m as unknown as string[];
  if (akid !== creds.accessKeyId) return 'unknown access key';
  if (region !== want.region || service !== want.service) return 'wrong scope';
  const names = signed!.split(';');
  for (const need of want.mustSign) if (!names.includes(need)) return `header ${need} not signed`;
  const amzDate = String(r.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(day!)) return 'date mismatch';
  const canonHeaders = names.map((n) => `${n}:${String(r.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const query = r.query
    .split('&')
    .filter((x) => x !== '')
    .map((kv) => (kv.includes('=') ? kv : kv + '='))
    .sort()
    .join('&');
  const creq = `${r.method}\n${r.path}\n${query}\n${canonHeaders}\n${signed}\n${sha(r.body)}`;
  const sts = `AWS4-HMAC-SHA256\n${amzDate}\n${day}/${region}/${service}/aws4_request\n${sha(creq)}`;
  let k: Buffer = createHmac('sha256', 'AWS4' + creds.secretAccessKey).update(day!).digest();
  for (const part of [region!, service!, 'aws4_request']) k = createHmac('sha256', k).update(part).digest();
  return createHmac('sha256', k).update(sts).digest('hex') === sig ? undefined : 'signature does not match';
}

/** Starts the double with one P-256 key (id `1234abcd-…`, alias `alias/fms-release`). */
export async function startAwsKmsDouble(): Promise<AwsDouble> {
  const keys = new Map<string, DoubleKey>();
  const key = newP256();
  keys.set('1234abcd-12ab-34cd-56ef-1234567890ab', key);
  keys.set('alias/fms-release', key);
  keys.set(`arn:aws:kms:${AWS_TEST_CREDS.region}:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab`, key);
  const d = { highS: false, keySpec: 'ECC_NIST_P256' } as AwsDouble;
  const err = (status: number, type: string, message: string) => ({ status, json: { __type: type, message } });
  const running = await startDouble((r) => {
    if (r.method !== 'POST' || r.url.pathname !== '/') return err(404, 'UnknownOperationException', 'not found');
    if (r.headers['content-type'] !== 'application/x-amz-json-1.1') return err(400, 'SerializationException', 'bad content type');
    const bad = sigv4Check({ method: r.method, headers: r.headers, body: r.body, path: '/', query: r.url.search.slice(1) }, AWS_TEST_CREDS, {
      region: AWS_TEST_CREDS.region,
      service: 'kms',
      mustSign: ['host', 'x-amz-date', 'x-amz-target', 'content-type'],
    });
    if (bad) return err(403, 'InvalidSignatureException', bad);
    const req = JSON.parse(r.body) as Record<string, string>;
    const k = keys.get(req.KeyId ?? '');
    if (!k) return err(400, 'NotFoundException', `key ${req.KeyId} not found`);
    switch (r.headers['x-amz-target']) {
      case 'TrentService.GetPublicKey':
        return {
          status: 200,
          json: { KeyId: req.KeyId, PublicKey: k.spki.toString('base64'), KeySpec: d.keySpec, KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ECDSA_SHA_256'] },
        };
      case 'TrentService.Sign': {
        if (req.MessageType !== 'DIGEST' || req.SigningAlgorithm !== 'ECDSA_SHA_256') return err(400, 'ValidationException', 'unsupported');
        const digest = Buffer.from(req.Message ?? '', 'base64');
        let der = signDigestDer(k, digest);
        if (d.highS) der = rawToDer(toHighS(derToRaw(der)));
        return { status: 200, json: { KeyId: req.KeyId, Signature: der.toString('base64'), SigningAlgorithm: 'ECDSA_SHA_256' } };
      }
      default:
        return err(400, 'UnknownOperationException', 'unknown target');
    }
  });
  return Object.assign(d, running, { keys });
}
