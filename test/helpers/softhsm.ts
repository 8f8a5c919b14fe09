// A throw-away SoftHSM2 token per test run: temp SOFTHSM2_CONF + token dir,
// keys generated inside the token (sensitive, non-extractable) via pkcs11js.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_MODULE = process.env.SOFTHSM2_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsm {
  dir: string;
  conf: string;
  module: string;
  token: string;
  pin: string;
  pinFile: string;
  /** Env for child processes (SOFTHSM2_CONF). */
  env: NodeJS.ProcessEnv;
  uri(object: string, extra?: string): string;
  cleanup(): void;
}

/** Why SoftHSM2 cannot be used here, or undefined when it can. */
export function softHsmMissing(): string | undefined {
  if (!existsSync(SOFTHSM_MODULE)) return `${SOFTHSM_MODULE} not found`;
  try {
    execFileSync('softhsm2-util', ['--version'], { stdio: 'pipe' });
  } catch {
    return 'softhsm2-util not on PATH';
  }
  try {
    createRequire(import.meta.url)('pkcs11js');
  } catch {
    return 'pkcs11js native module not built';
  }
  return undefined;
}

/**
 * Skips loudly when SoftHSM2 is missing, but fails when CI=true (the
 * acceptance requires the real PKCS#11 path there).
 */
export function requireSoftHsmOrSkip(suite: string): boolean {
  const why = softHsmMissing();
  if (!why) return true;
  const msg = `\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n!!! ${suite}: SKIPPED, SoftHSM2 unavailable (${why})\n!!! the real PKCS#11 tests did NOT run\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n`;
  if (process.env.CI === 'true') throw new Error(`${suite}: SoftHSM2 is required when CI=true: ${why}`);
  process.stderr.write(msg);
  return false;
}

/** Creates a temp SoftHSM2 config, token directory and an initialised token; sets SOFTHSM2_CONF in this process. */
export function createSoftHsm(token = 'fms-test'): SoftHsm {
  const dir = mkdtempSync(join(tmpdir(), 'fms-softhsm-'));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens);
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const pin = '246810';
  const pinFile = join(dir, 'pin.txt');
  writeFileSync(pinFile, pin + '\n', { mode: 0o600 });
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  process.env.SOFTHSM2_CONF = conf;
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', token, '--pin', pin, '--so-pin', '13579'], { env, stdio: 'pipe' });
  return {
    dir,
    conf,
    module: SOFTHSM_MODULE,
    token,
    pin,
    pinFile,
    env,
    uri(object, extra = '') {
      return `pkcs11:token=${token};object=${object}${extra}?module-path=${SOFTHSM_MODULE}&pin-source=file:${pinFile}`;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Attr = { type: number; value?: unknown };
interface P11 {
  load(p: string): void;
  C_Initialize(): void;
  C_Finalize(): void;
  C_GetSlotList(b: boolean): Buffer[];
  C_GetTokenInfo(s: Buffer): { label: string };
  C_OpenSession(s: Buffer, f: number): Buffer;
  C_Login(s: Buffer, u: number, pin: string): void;
  C_CloseSession(s: Buffer): void;
  C_GenerateKeyPair(s: Buffer, m: { mechanism: number }, pub: Attr[], priv: Attr[]): { publicKey: Buffer; privateKey: Buffer };
  C_GetAttributeValue(s: Buffer, o: Buffer, t: Attr[]): Attr[];
}

export interface KeyAttributes {
  extractable: boolean;
  sensitive: boolean;
  /** Whether reading CKA_VALUE of the private key succeeded (must be false). */
  valueReadable: boolean;
}

/**
 * Generates key pairs inside the token: `ed25519` (CKM_EC_EDWARDS_KEY_PAIR_GEN)
 * and `p256` (CKM_EC_KEY_PAIR_GEN), private halves CKA_SENSITIVE and not
 * CKA_EXTRACTABLE. Returns what the token reports about the private keys.
 */
export function generateTokenKeys(hsm: SoftHsm, keys: { label: string; id: number; kind: 'ed25519' | 'p256' }[]): Record<string, KeyAttributes> {
  const pkcs11js = createRequire(import.meta.url)('pkcs11js') as { PKCS11: new () => P11 };
  const p = new pkcs11js.PKCS11();
  p.load(hsm.module);
  p.C_Initialize();
  const out: Record<string, KeyAttributes> = {};
  try {
    const slot = p.C_GetSlotList(true).find((s) => p.C_GetTokenInfo(s).label.trimEnd() === hsm.token);
    if (!slot) throw new Error('token not found');
    const session = p.C_OpenSession(slot, 0x4 | 0x2);
    p.C_Login(session, 1, hsm.pin);
    for (const k of keys) {
      const params = k.kind === 'ed25519' ? Buffer.from('06032b6570', 'hex') : Buffer.from('06082a8648ce3d030107', 'hex');
      const id = Buffer.from([k.id]);
      const { privateKey } = p.C_GenerateKeyPair(
        session,
        { mechanism: k.kind === 'ed25519' ? 0x1055 : 0x1040 },
        [
          { type: 0x1, value: true }, // CKA_TOKEN
          { type: 0x10a, value: true }, // CKA_VERIFY
          { type: 0x180, value: params }, // CKA_EC_PARAMS
          { type: 0x3, value: k.label },
          { type: 0x102, value: id },
        ],
        [
          { type: 0x1, value: true },
          { type: 0x108, value: true }, // CKA_SIGN
          { type: 0x2, value: true }, // CKA_PRIVATE
          { type: 0x103, value: true }, // CKA_SENSITIVE
          { type: 0x162, value: false }, // CKA_EXTRACTABLE
          { type: 0x3, value: k.label },
          { type: 0x102, value: id },
        ],
      );
      const [ext, sens] = p.C_GetAttributeValue(session, privateKey, [{ type: 0x162 }, { type: 0x103 }]);
      let valueReadable = true;
      try {
        p.C_GetAttributeValue(session, privateKey, [{ type: 0x11 }]); // CKA_VALUE
      } catch {
        valueReadable = false;
      }
      out[k.label] = { extractable: (ext?.value as Buffer)[0] === 1, sensitive: (sens?.value as Buffer)[0] === 1, valueReadable };
    }
    p.C_CloseSession(session);
  } finally {
    p.C_Finalize();
  }
  return out;
}
