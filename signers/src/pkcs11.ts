import { ed25519Spki, p256Spki } from '@fms/runtime/crypto';
import { ecdsaDigestSigner, ed25519Signer, type Signer } from './signer';
import { parsePkcs11Uri, resolvePin } from './pkcs11-uri';

// PKCS#11 constants (v3.0) used here, spelled out so the module does not depend on the binding's constant table.
const CKO_PUBLIC_KEY = 2;
const CKO_PRIVATE_KEY = 3;
const CKA_CLASS = 0x0;
const CKA_LABEL = 0x3;
const CKA_ID = 0x102;
const CKA_KEY_TYPE = 0x100;
const CKA_EC_PARAMS = 0x180;
const CKA_EC_POINT = 0x181;
const CKK_EC = 0x3;
const CKK_EC_EDWARDS = 0x40;
const CKM_ECDSA = 0x1041;
const CKM_EDDSA = 0x1057;
const CKF_SERIAL_SESSION = 0x4;
const CKU_USER = 1;
const OID_P256 = Buffer.from('06082a8648ce3d030107', 'hex');
const OID_ED25519 = Buffer.from('06032b6570', 'hex');
const NAME_ED25519 = Buffer.from('130c656477617264733235353139', 'hex'); // PrintableString "edwards25519"

type Handle = Buffer;
interface Attr {
  type: number;
  value?: number | boolean | string | Buffer;
}
/** The subset of pkcs11js's PKCS11 class this adapter calls. */
interface Pkcs11Api {
  load(path: string): void;
  C_Initialize(): void;
  C_Finalize(): void;
  C_GetSlotList(tokenPresent?: boolean): Handle[];
  C_GetTokenInfo(slot: Handle): { label: string; manufacturerID: string; model: string; serialNumber: string };
  C_OpenSession(slot: Handle, flags: number): Handle;
  C_CloseSession(session: Handle): void;
  C_Login(session: Handle, userType: number, pin?: string): void;
  C_Logout(session: Handle): void;
  C_FindObjectsInit(session: Handle, template: Attr[]): void;
  C_FindObjects(session: Handle, max: number): Handle[];
  C_FindObjectsFinal(session: Handle): void;
  C_GetAttributeValue(session: Handle, obj: Handle, template: Attr[]): Attr[];
  C_SignInit(session: Handle, mech: { mechanism: number }, key: Handle): void;
  C_Sign(session: Handle, data: Buffer, out: Buffer): Buffer;
}

function findObjects(p: Pkcs11Api, session: Handle, template: Attr[]): Handle[] {
  p.C_FindObjectsInit(session, template);
  try {
    return p.C_FindObjects(session, 8);
  } finally {
    p.C_FindObjectsFinal(session);
  }
}

function attr(p: Pkcs11Api, session: Handle, obj: Handle, type: number): Buffer {
  const v = p.C_GetAttributeValue(session, obj, [{ type }])[0]?.value;
  if (!Buffer.isBuffer(v)) throw new Error('pkcs11: attribute not readable');
  return v;
}

function ulong(b: Buffer): number {
  // CK_ULONG in native byte order (little-endian on the platforms Node supports here).
  return b.length >= 8 ? Number(b.readBigUInt64LE(0)) : b.readUInt32LE(0);
}

/** Unwraps a DER OCTET STRING around an EC point if present (PKCS#11 says CKA_EC_POINT is DER-encoded). */
function unwrapPoint(b: Buffer): Buffer {
  if (b[0] === 0x04 && b.length >= 2 && b[1] === b.length - 2) return b.subarray(2);
  if (b[0] === 0x04 && b[1] === 0x81 && b[2] === b.length - 3) return b.subarray(3);
  return b;
}

function pkcs11Error(e: unknown, what: string): Error {
  // pkcs11js messages look like `CKR_PIN_INCORRECT:160`: no secrets in them.
  const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
  return new Error(`pkcs11: ${what}: ${msg}`);
}

/**
 * The one-line refusal when the optional PKCS#11 add-on cannot be loaded:
 * `pkcs11js` is an optional dependency built from source at install time, so
 * an install without a C++ compiler leaves it out; the line says how to enable it.
 */
export function pkcs11MissingMessage(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  const how = 'install a C++ toolchain (Debian: apt-get install g++ make python3) and run `npm ci` again (or `npm install pkcs11js@2.1.7`)';
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    return `pkcs11: PKCS#11 support is not installed (the optional add-on \`pkcs11js\` was not built): ${how}`;
  }
  const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
  return `pkcs11: the optional add-on \`pkcs11js\` is installed but does not load (${why}): ${how}`;
}

/**
 * A signer for a private key inside a PKCS#11 token (RFC 7512 URI). Ed25519
 * keys sign with CKM_EDDSA over the message; P-256 keys with CKM_ECDSA over
 * its SHA-256 digest. The key never leaves the token: only the public key
 * and signatures are read.
 */
export async function pkcs11Signer(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<Signer> {
  const u = parsePkcs11Uri(uri);
  const modulePath = u.query.get('module-path') ?? env.FMS_PKCS11_MODULE;
  if (!modulePath) throw new Error('pkcs11 uri needs `module-path=` (or set `FMS_PKCS11_MODULE`)');
  if (!u.path.has('object') && !u.id) throw new Error('pkcs11 uri needs `object=` or `id=` to choose a key');
  const pin = resolvePin(u, env);
  let mod: { PKCS11: new () => Pkcs11Api };
  try {
    const m = (await import('pkcs11js')) as unknown as { PKCS11?: new () => Pkcs11Api; default?: { PKCS11: new () => Pkcs11Api } };
    mod = m.PKCS11 ? { PKCS11: m.PKCS11 } : (m.default as { PKCS11: new () => Pkcs11Api });
  } catch (e) {
    throw new Error(pkcs11MissingMessage(e));
  }
  const p = new mod.PKCS11();
  try {
    p.load(modulePath);
  } catch (e) {
    throw pkcs11Error(e, `cannot load module \`${modulePath}\``);
  }
  let initialized = false;
  let session: Handle | undefined;
  let loggedIn = false;
  const close = (): void => {
    try {
      if (session && loggedIn) p.C_Logout(session);
    } catch {
      /* ignore */
    }
    try {
      if (session) p.C_CloseSession(session);
    } catch {
      /* ignore */
    }
    try {
      if (initialized) p.C_Finalize();
    } catch {
      /* ignore */
    }
    session = undefined;
    initialized = false;
  };
  try {
    try {
      p.C_Initialize();
      initialized = true;
    } catch (e) {
      if (!/CKR_CRYPTOKI_ALREADY_INITIALIZED/.test(String((e as Error).message))) throw pkcs11Error(e, 'initialize');
    }
    const want: [string, (t: ReturnType<Pkcs11Api['C_GetTokenInfo']>) => string][] = [
      ['token', (t) => t.label],
      ['manufacturer', (t) => t.manufacturerID],
      ['model', (t) => t.model],
      ['serial', (t) => t.serialNumber],
    ];
    const slots = p.C_GetSlotList(true).filter((slot, i) => {
      const sid = u.path.get('slot-id');
      if (sid !== undefined && String(i) !== sid && slot.readUIntLE(0, Math.min(6, slot.length)).toString() !== sid) return false;
      const info = p.C_GetTokenInfo(slot);
      return want.every(([k, get]) => !u.path.has(k) || get(info).trimEnd() === u.path.get(k));
    });
    if (slots.length === 0) throw new Error(`pkcs11: no token matches \`${u.path.get('token') ?? '(any)'}\``);
    if (slots.length > 1) throw new Error('pkcs11: several tokens match; add `token=` or `serial=` to the uri');
    session = p.C_OpenSession(slots[0] as Handle, CKF_SERIAL_SESSION);
    if (pin !== undefined) {
      try {
        p.C_Login(session, CKU_USER, pin);
        loggedIn = true;
      } catch (e) {
        if (!/CKR_USER_ALREADY_LOGGED_IN/.test(String((e as Error).message))) throw pkcs11Error(e, 'login failed');
      }
    }
    const sel: Attr[] = [];
    if (u.path.has('object')) sel.push({ type: CKA_LABEL, value: u.path.get('object') as string });
    if (u.id) sel.push({ type: CKA_ID, value: Buffer.from(u.id) });
    const privs = findObjects(p, session, [{ type: CKA_CLASS, value: CKO_PRIVATE_KEY }, ...sel]);
    if (privs.length === 0) throw new Error('pkcs11: no private key matches the uri (wrong object/id, or no pin given)');
    if (privs.length > 1) throw new Error('pkcs11: several private keys match; add `id=` to the uri');
    const key = privs[0] as Handle;
    const keyType = ulong(attr(p, session, key, CKA_KEY_TYPE));
    const keyId = attr(p, session, key, CKA_ID);
    const pubs = findObjects(p, session, [{ type: CKA_CLASS, value: CKO_PUBLIC_KEY }, ...(keyId.length ? [{ type: CKA_ID, value: keyId }] : sel)]);
    if (pubs.length !== 1) throw new Error('pkcs11: cannot find exactly one public key object for the private key');
    const pub = pubs[0] as Handle;
    const params = attr(p, session, pub, CKA_EC_PARAMS);
    const point = unwrapPoint(attr(p, session, pub, CKA_EC_POINT));
    const s = session;
    const description = `pkcs11 token \`${u.path.get('token') ?? '?'}\` object \`${u.path.get('object') ?? Buffer.from(keyId).toString('hex')}\``;
    const signRaw = (mechanism: number, data: Uint8Array): Uint8Array => {
      try {
        p.C_SignInit(s, { mechanism }, key);
        return new Uint8Array(p.C_Sign(s, Buffer.from(data), Buffer.alloc(512)));
      } catch (e) {
        throw pkcs11Error(e, 'sign');
      }
    };
    if (keyType === CKK_EC_EDWARDS) {
      if (!params.equals(OID_ED25519) && !params.equals(NAME_ED25519)) throw new Error('pkcs11: only the ed25519 edwards curve is supported');
      return ed25519Signer(ed25519Spki(point), description, async (message) => signRaw(CKM_EDDSA, message), close);
    }
    if (keyType === CKK_EC) {
      if (!params.equals(OID_P256)) throw new Error('pkcs11: only the p-256 curve is supported for ecdsa');
      return ecdsaDigestSigner(p256Spki(point), description, async (digest) => signRaw(CKM_ECDSA, digest), close, 'raw'); // CKM_ECDSA: r||s
    }
    throw new Error(`pkcs11: unsupported key type 0x${keyType.toString(16)} (ed25519 or p-256 expected)`);
  } catch (e) {
    close();
    throw e;
  }
}
