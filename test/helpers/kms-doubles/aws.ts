// AWS KMS double: JSON 1.1 protocol (`X-Amz-Target: TrentService.*`) with a
// real SigV4 check of every request. No real AWS account is used.
import { createHash, createHmac } from 'node:crypto';
import { derToRaw, newP256, rawToDer, signDigestDer, startDouble, toHighS, type DoubleKey, type RunningDouble } from './server';

export const AWS_TEST_CREDS = { accessKeyId: 'AKIDFMSTEST', secretAccessKey: 'fms-test-secret-key/not-real', region: 'eu-west-1' };

export interface AwsDouble extends RunningDouble {
  keys: Map<string, DoubleKey>;
  /** Return high-S signatures (to check the client normalises). */
  highS: boolean;
}

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Independent SigV4 check for `POST /` JSON requests. */
function sigv4Ok(r: { method: string; headers: Record<string, string | string[] | undefined>; body: string; path: string }): string | undefined {
  const auth = String(r.headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return 'missing or malformed authorization';
  const [, akid, day, region, service, signed, sig] = m as unknown as string[];
  if (akid !== AWS_TEST_CREDS.accessKeyId) return 'unknown access key';
  if (region !== AWS_TEST_CREDS.region || service !== 'kms') return 'wrong scope';
  const names = signed!.split(';');
  for (const need of ['host', 'x-amz-date', 'x-amz-target', 'content-type']) if (!names.includes(need)) return `header ${need} not signed`;
  const amzDate = String(r.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(day!)) return 'date mismatch';
  const canonHeaders = names.map((n) => `${n}:${String(r.headers[n] ?? '').trim()}\n`).join('');
  const creq = `${r.method}\n${r.path}\n\n${canonHeaders}\n${signed}\n${sha(r.body)}`;
  const sts = `AWS4-HMAC-SHA256\n${amzDate}\n${day}/${region}/${service}/aws4_request\n${sha(creq)}`;
  let k: Buffer = createHmac('sha256', 'AWS4' + AWS_TEST_CREDS.secretAccessKey).update(day!).digest();
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
  const d = { highS: false } as AwsDouble;
  const err = (status: number, type: string, message: string) => ({ status, json: { __type: type, message } });
  const running = await startDouble((r) => {
    if (r.method !== 'POST' || r.url.pathname !== '/') return err(404, 'UnknownOperationException', 'not found');
    if (r.headers['content-type'] !== 'application/x-amz-json-1.1') return err(400, 'SerializationException', 'bad content type');
    const bad = sigv4Ok({ method: r.method, headers: r.headers, body: r.body, path: '/' });
    if (bad) return err(403, 'InvalidSignatureException', bad);
    const req = JSON.parse(r.body) as Record<string, string>;
    const k = keys.get(req.KeyId ?? '');
    if (!k) return err(400, 'NotFoundException', `key ${req.KeyId} not found`);
    switch (r.headers['x-amz-target']) {
      case 'TrentService.GetPublicKey':
        return {
          status: 200,
          json: { KeyId: req.KeyId, PublicKey: k.spki.toString('base64'), KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ECDSA_SHA_256'] },
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
