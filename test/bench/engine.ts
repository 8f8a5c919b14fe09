/**
 * What the benchmark measures, bundled by esbuild at bench time exactly as the
 * shipped CLIs are (tsx's per-module loader adds getter indirection on every
 * cross-module call, which is not what production runs).
 */
export { compile } from '@fms/compiler';
export { emitPackBody } from '@fms/compiler';
export { decideJson } from '@fms/runtime';
export { loadPackBody } from '@fms/runtime';
export { benchCalls, benchPolicy } from './policies';
export { realisticStack } from './realistic';
