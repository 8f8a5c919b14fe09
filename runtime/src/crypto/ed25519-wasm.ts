/**
 * The Ed25519 key classification in WebAssembly (issue 15): the module built
 * by runtime/scripts/gen-ed25519-wasm.mjs, compiled and instantiated
 * synchronously on first use, once per process (a process that never pins a
 * key pays nothing). Liftoff, V8's baseline WebAssembly compiler, makes its
 * i64 limb arithmetic fast from the first call, where cold BigInt code pays a
 * runtime call per operation.
 */
import { ED25519_WASM_BASE64 } from './ed25519-wasm-bytes';

/**
 * What the classifier answers for a 32-byte key: 0 strong, 1 y ≥ p (not
 * canonical), 2 not a canonical point encoding, 3 small order, 4 not in the
 * prime-order subgroup.
 */
export type Ed25519KeyClass = 0 | 1 | 2 | 3 | 4;

/** The part of the WebAssembly JS API used here (the project's TS lib has no DOM, so no WebAssembly types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: abstract new (...args: never[]) => WasmMemory;
  Global: abstract new (...args: never[]) => WasmGlobal;
}
/** A WebAssembly.Memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
/** A WebAssembly.Global (immutable i32 here). */
export interface WasmGlobal {
  readonly value: unknown;
}

/**
 * The module's exports. Field elements are 10 i64 limbs (80 bytes) at a
 * memory address; `scratch` is 640 bytes the module never touches, for tests.
 */
export interface Ed25519WasmExports {
  readonly memory: WasmMemory;
  /** Address of the 32 key bytes `check()` reads. */
  readonly input: WasmGlobal;
  readonly scratch: WasmGlobal;
  /** Classifies the 32 bytes at `input` (see {@link Ed25519KeyClass}). */
  check(): number;
  fe_mul(o: number, a: number, b: number): void;
  fe_sq(o: number, a: number): void;
  fe_add(o: number, a: number, b: number): void;
  fe_sub(o: number, a: number, b: number): void;
  fe_nadd(o: number, a: number, b: number): void;
  fe_carry(o: number, a: number): void;
  fe_freeze(o: number, a: number): void;
  fe_frombytes(o: number, p: number): void;
  fe_is_zero(a: number): number;
  pow22523(o: number, z: number): void;
}

const FUNCTIONS = ['check', 'fe_mul', 'fe_sq', 'fe_add', 'fe_sub', 'fe_nadd', 'fe_carry', 'fe_freeze', 'fe_frombytes', 'fe_is_zero', 'pow22523'] as const;

/** undefined: not tried yet; null: WebAssembly unavailable or the module refused (callers fall back to BigInt). */
let instance: Ed25519WasmExports | null | undefined;

function instantiate(): Ed25519WasmExports | null {
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (typeof api !== 'object' || api === null) return null;
    const bytes = Buffer.from(ED25519_WASM_BASE64, 'base64');
    const exports = new api.Instance(new api.Module(bytes), {}).exports;
    if (!(exports.memory instanceof api.Memory) || !(exports.input instanceof api.Global) || !(exports.scratch instanceof api.Global)) return null;
    if (typeof exports.input.value !== 'number') return null;
    for (const f of FUNCTIONS) if (typeof exports[f] !== 'function') return null;
    return exports as unknown as Ed25519WasmExports;
  } catch {
    return null;
  }
}

/**
 * The instantiated module, or undefined when this process cannot run it
 * (no WebAssembly, e.g. `node --jitless`, or instantiation threw). Internal:
 * for the key-strength check and its tests.
 */
export function ed25519Wasm(): Ed25519WasmExports | undefined {
  if (instance === undefined) instance = instantiate();
  return instance ?? undefined;
}

/**
 * Classifies a 32-byte key in WebAssembly, or returns undefined when the
 * module is unavailable or answers something out of range (the caller then
 * asks the BigInt implementation: never "strong" by default).
 */
export function ed25519KeyClassWasm(raw: Uint8Array): Ed25519KeyClass | undefined {
  const w = ed25519Wasm();
  if (!w || raw.length !== 32) return undefined;
  try {
    new Uint8Array(w.memory.buffer, w.input.value as number, 32).set(raw);
    const c = w.check();
    return c === 0 || c === 1 || c === 2 || c === 3 || c === 4 ? c : undefined;
  } catch {
    return undefined;
  }
}
