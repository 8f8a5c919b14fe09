/**
 * Strict standard base64 (RFC 4648 §4, with padding): decoding accepts only
 * the canonical encoding of the bytes, so no two strings decode to the same
 * bytes (no malleability through padding bits or whitespace).
 * Returns undefined for anything else.
 */
export function decodeBase64Strict(s: string): Uint8Array | undefined {
  if (typeof s !== 'string' || s.length % 4 !== 0) return undefined;
  const buf = Buffer.from(s, 'base64');
  // The round trip alone decides: Node's decoder skips characters outside the
  // alphabet (and takes `-` `_`), but its encoder writes only `A-Za-z0-9+/`
  // and final `=`, so any such character makes the strings differ.
  if (buf.toString('base64') !== s) return undefined;
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Standard base64 with padding. */
export function encodeBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/** Lenient decoder for base64 or base64url from external services (KMS answers). */
export function decodeBase64Loose(s: string): Uint8Array {
  const buf = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** base64url without padding (JOSE style). */
export function encodeBase64Url(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
}
