/**
 * What the benchmark measures, bundled by esbuild at bench time exactly as the
 * shipped CLIs are (tsx's per-module loader adds getter indirection on every
 * cross-module call, which is not what production runs).
 */
export { compile } from '../../compiler/src/compile';
export { emitPackBody } from '../../compiler/src/emit/emit-body';
export { decideJson } from '../../runtime/src/decide';
export { loadPackBody } from '../../runtime/src/vm/loaded-pack';
export { benchCalls, benchPolicy } from './policies';
