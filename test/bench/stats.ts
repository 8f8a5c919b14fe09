/** Timing statistics shared by the benchmarks: quantiles, per-call latency and throughput, median wall time. */
/** Latency summary of one engine on one stream (ns). */
export interface Stats {
  p50: number;
  p99: number;
  mean: number;
  perSec: number;
  /** Mean CPU time per call in the tight loop (process CPU, all threads), ns: robust to other processes on a shared machine. */
  cpuMean: number;
}

export function quantile(xs: Float64Array, q: number): number {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** The latency of each call of a tight loop over the stream, after a warm-up (ns, timer overhead removed). */
export function latencies<T>(inputs: readonly T[], f: (x: T) => unknown, samples: number, overhead: number, warmup = 30_000): Float64Array {
  for (let i = 0; i < Math.min(samples, warmup); i++) f(inputs[i % inputs.length]!);
  const xs = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const x = inputs[i % inputs.length]!;
    const t0 = process.hrtime.bigint();
    f(x);
    xs[i] = Math.max(0, Number(process.hrtime.bigint() - t0) - overhead);
  }
  return xs;
}

/** Per-call latencies (ns, timer overhead removed) and throughput from a tight loop over the same stream. */
export function measure<T>(inputs: readonly T[], f: (x: T) => unknown, samples: number, overhead: number, warmup = 30_000): Stats {
  const xs = latencies(inputs, f, samples, overhead, warmup);
  let sum = 0;
  for (let i = 0; i < samples; i++) sum += xs[i]!;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < samples; i++) f(inputs[i % inputs.length]!);
  const ms = performance.now() - t0;
  const cu = process.cpuUsage(c0);
  return { p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), mean: sum / samples, perSec: (samples / ms) * 1000, cpuMean: ((cu.user + cu.system) * 1000) / samples };
}

/** Median wall time of `runs` calls of `f`, ms. */
export function medianMs(f: () => void, runs: number): number {
  const xs = new Float64Array(runs);
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    xs[i] = performance.now() - t0;
  }
  return quantile(xs, 0.5);
}

/** The median cost of the timer itself (two process.hrtime.bigint() reads), ns: subtracted from each latency. */
export function timerOverheadNs(): number {
  const xs = new Float64Array(200_000);
  for (let i = 0; i < xs.length; i++) {
    const t0 = process.hrtime.bigint();
    xs[i] = Number(process.hrtime.bigint() - t0);
  }
  return quantile(xs, 0.5);
}
