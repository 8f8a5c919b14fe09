import { decodeBase64Strict, encodeBase64 } from '../crypto/base64';
import { bytesEqual, canonicalJson, hasExactKeys, isLowerHexTail } from './canonical-json';
import { PackRefusal } from './refusal';

/** The DSSE payload type of an fms pack manifest. */
export const MANIFEST_PAYLOAD_TYPE = 'application/vnd.fms.policypack.manifest.v1+json';

/** Most signatures an envelope may carry. */
export const MAX_SIGNATURES = 16;

/** One DSSE signature: key id and raw signature bytes. */
export interface DsseSignature {
  keyid: string;
  sig: Uint8Array;
}

/** A decoded DSSE envelope. */
export interface DsseEnvelope {
  payloadType: string;
  payload: Uint8Array;
  signatures: DsseSignature[];
}

const enc = new TextEncoder();

/**
 * DSSE v1 pre-authentication encoding:
 * `"DSSEv1" SP len(type) SP type SP len(body) SP body` (lengths in ASCII decimal, bytes).
 */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const t = enc.encode(payloadType);
  const head = enc.encode(`DSSEv1 ${t.length} ${payloadType} ${payload.length} `);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

/** Serialises an envelope as canonical JSON (sorted keys, standard base64). */
export function encodeEnvelope(env: DsseEnvelope): Uint8Array {
  return enc.encode(
    canonicalJson({
      payload: encodeBase64(env.payload),
      payloadType: env.payloadType,
      signatures: env.signatures.map((s) => ({ keyid: s.keyid, sig: encodeBase64(s.sig) })),
    }),
  );
}

/** A key id: `sha256:` and 64 lowercase hex digits (what `/^sha256:[0-9a-f]{64}$/` accepts). */
export function isKeyId(s: string): boolean {
  return typeof s === 'string' && s.startsWith('sha256:') && isLowerHexTail(s, 7, 71);
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Options of {@link decodeEnvelope}. */
export interface DecodeEnvelopeOptions {
  /**
   * Accept an envelope with no signature (an unsigned pack written by
   * `fmsc build --unsigned`, read by `fmsc sign` and `fmsc inspect`). Never
   * set on a verification path: without it, zero signatures is the
   * `unsigned` refusal.
   */
  allowUnsigned?: boolean;
}

/** The one-line reason an unsigned pack is refused (every verifying command prints it). */
export const UNSIGNED_PACK_MESSAGE = 'pack is unsigned: sign it with `fmsc sign`';

/**
 * Strictly decodes envelope bytes: valid UTF-8 JSON with exactly the DSSE
 * fields, canonical base64, 1..16 signatures with well-formed key ids (0
 * only with `allowUnsigned`), the
 * expected payload type (default: the pack manifest's), and bytes identical to the canonical re-encoding (so no
 * byte of the envelope can change without the parse failing or a signed
 * value changing).
 */
export function decodeEnvelope(bytes: Uint8Array, payloadType: string = MANIFEST_PAYLOAD_TYPE, opts: DecodeEnvelopeOptions = {}): DsseEnvelope {
  const bad = (why: string): never => {
    throw new PackRefusal('envelope-malformed', `malformed signature envelope: ${why}`);
  };
  let text: string;
  try {
    text = utf8Strict.decode(bytes);
  } catch {
    return bad('not utf-8');
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return bad('not json');
  }
  if (!hasExactKeys(v, ['payload', 'payloadType', 'signatures'])) return bad('unexpected fields');
  if (typeof v.payloadType !== 'string' || typeof v.payload !== 'string' || !Array.isArray(v.signatures))
    return bad('wrong field types');
  if (v.payloadType !== payloadType)
    throw new PackRefusal('envelope-payload-type', `unexpected payload type \`${v.payloadType.slice(0, 80)}\``);
  const payload = decodeBase64Strict(v.payload) ?? bad('payload is not canonical base64');
  if (v.signatures.length === 0 && opts.allowUnsigned !== true)
    throw new PackRefusal('unsigned', payloadType === MANIFEST_PAYLOAD_TYPE ? UNSIGNED_PACK_MESSAGE : 'envelope carries no signature');
  if (v.signatures.length > MAX_SIGNATURES) return bad(`more than ${MAX_SIGNATURES} signatures`);
  const signatures: DsseSignature[] = [];
  for (const s of v.signatures as unknown[]) {
    if (!hasExactKeys(s, ['keyid', 'sig']) || typeof s.keyid !== 'string' || typeof s.sig !== 'string')
      return bad('signature entry must be {keyid, sig}');
    if (!isKeyId(s.keyid)) return bad('signature key id is not `sha256:<hex>`');
    const sig = decodeBase64Strict(s.sig) ?? bad('signature is not canonical base64');
    signatures.push({ keyid: s.keyid, sig });
  }
  const env: DsseEnvelope = { payloadType: v.payloadType, payload, signatures };
  const again = encodeEnvelope(env);
  if (!bytesEqual(again, bytes)) return bad('not in canonical form');
  return env;
}
