/**
 * `@fms/runtime/semantics`: the decision machine's building blocks below the
 * bytecode — value semantics of conditions, the built-in functions, the
 * after-match pipeline (phases, rate limits, budgets, egress, model policy,
 * redaction) and the decision payload builders.
 *
 * Exported for the compiler's IR interpreter (`compiler/src/interp/`), the
 * reference side of the differential test. STYLE.md habit 12 wants that
 * reference to share no code with the VM; when it stops importing these, this
 * entry goes away. Not part of the embedding API.
 */
export * from './values';
export * from './builtins';
export * from './pipeline';
export * from './payloads';
