import { PackRefusal } from '../trust/refusal';

/**
 * The pack container (DESIGN §4):
 * `"\x89FMSP\r\n\x1a" | u16 version (BE) | u32 envelope length (BE) | envelope | u64 body length (BE) | body`.
 */
export const PACK_MAGIC = Uint8Array.from([0x89, 0x46, 0x4d, 0x53, 0x50, 0x0d, 0x0a, 0x1a]);
/** The only container version this code reads and writes. */
export const CONTAINER_VERSION = 1;
/** Largest envelope accepted (1 MiB). */
export const MAX_ENVELOPE_BYTES = 1 << 20;
/** Largest body accepted (256 MiB). */
export const MAX_BODY_BYTES = 256 * (1 << 20);

const HEADER = PACK_MAGIC.length + 2 + 4;

/** A strictly parsed container; `envelope` and `body` are views into the input. */
export interface DecodedContainer {
  version: number;
  envelope: Uint8Array;
  body: Uint8Array;
}

/** Builds container bytes from envelope JSON bytes and the opaque body. */
export function encodeContainer(envelope: Uint8Array, body: Uint8Array): Uint8Array {
  if (envelope.length === 0 || envelope.length > MAX_ENVELOPE_BYTES) throw new Error('envelope size out of range');
  if (body.length > MAX_BODY_BYTES) throw new Error('body too large');
  const out = new Uint8Array(HEADER + envelope.length + 8 + body.length);
  const dv = new DataView(out.buffer);
  out.set(PACK_MAGIC, 0);
  dv.setUint16(8, CONTAINER_VERSION);
  dv.setUint32(10, envelope.length);
  out.set(envelope, HEADER);
  dv.setBigUint64(HEADER + envelope.length, BigInt(body.length));
  out.set(body, HEADER + envelope.length + 8);
  return out;
}

/**
 * Parses container bytes, bounds-checking every length. Throws
 * {@link PackRefusal} on a wrong magic or version, an envelope over 1 MiB,
 * a truncated file, a body length that does not match, or trailing bytes.
 */
export function decodeContainer(bytes: Uint8Array): DecodedContainer {
  if (bytes.length < PACK_MAGIC.length || !PACK_MAGIC.every((b, i) => bytes[i] === b)) {
    if (bytes.length < PACK_MAGIC.length && PACK_MAGIC.subarray(0, bytes.length).every((b, i) => bytes[i] === b))
      throw new PackRefusal('container-truncated', 'truncated pack: file ends inside the header');
    throw new PackRefusal('container-magic', 'not an fms policy pack (bad magic bytes)');
  }
  if (bytes.length < HEADER) throw new PackRefusal('container-truncated', 'truncated pack: file ends inside the header');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint16(8);
  if (version !== CONTAINER_VERSION)
    throw new PackRefusal('container-version', `unsupported pack container version ${version} (this runtime reads ${CONTAINER_VERSION})`);
  const envLen = dv.getUint32(10);
  if (envLen === 0 || envLen > MAX_ENVELOPE_BYTES)
    throw new PackRefusal('container-envelope-size', `signature envelope length ${envLen} out of range (1..${MAX_ENVELOPE_BYTES})`);
  const bodyLenAt = HEADER + envLen;
  if (bytes.length < bodyLenAt + 8)
    throw new PackRefusal('container-truncated', 'truncated pack: file ends inside the signature envelope');
  const bodyLen64 = dv.getBigUint64(bodyLenAt);
  if (bodyLen64 > BigInt(MAX_BODY_BYTES))
    throw new PackRefusal('container-body-size', `pack body length ${bodyLen64} exceeds ${MAX_BODY_BYTES}`);
  const bodyLen = Number(bodyLen64);
  const bodyAt = bodyLenAt + 8;
  const remaining = bytes.length - bodyAt;
  if (remaining < bodyLen)
    throw new PackRefusal('container-truncated', `truncated pack: body is ${remaining} of ${bodyLen} bytes`);
  if (remaining > bodyLen)
    throw new PackRefusal('container-trailing-bytes', `${remaining - bodyLen} trailing bytes after the pack body`);
  return {
    version,
    envelope: bytes.subarray(HEADER, bodyLenAt),
    body: bytes.subarray(bodyAt, bodyAt + bodyLen),
  };
}
