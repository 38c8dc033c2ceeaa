/**
 * A small benchmark harness. Candidates of one figure run in alternating rounds, so drift on a
 * noisy machine hits both alike; each figure is reported as the median round, with its ratio to a
 * baseline measured in the same run.
 */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** What the figure is compared with, measured in the same run. */
  readonly baselineName: string;
  readonly baseline: number;
  /** value / baseline (for throughput: higher is better; for latency and size: lower is better). */
  readonly ratio: number;
  /** The target, in words, for docs/benchmarks.md. */
  readonly target: string;
}

export type Operation = () => unknown;

/** Runs `operation` repeatedly for about `ms` milliseconds; returns calls per second. */
async function throughputOnce(
  operation: Operation,
  ms: number,
  callsPerCheck: number,
): Promise<number> {
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < callsPerCheck; i++) {
      const result = operation();
      if (result instanceof Promise) await result;
    }
    count += callsPerCheck;
    elapsed = performance.now() - start;
  }
  return (count / elapsed) * 1000;
}

/**
 * Median ops/s of each candidate over `rounds` alternating rounds. `opsPerCall` is how many
 * operations one call performs (a call may run a batch concurrently).
 */
export async function compareThroughput(
  candidates: Readonly<Record<string, Operation>>,
  { rounds = 7, roundMs = 250, warmupMs = 300, opsPerCall = 1 } = {},
): Promise<Record<string, number>> {
  const names = Object.keys(candidates);
  const callsPerCheck = Math.max(1, Math.round(200 / opsPerCall));
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const name of names)
    await throughputOnce(candidates[name] as Operation, warmupMs, callsPerCheck);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      globalThis.gc?.();
      samples[name]?.push(
        await throughputOnce(candidates[name] as Operation, roundMs, callsPerCheck),
      );
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n] ?? []) * opsPerCall]));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export function figure(
  name: string,
  value: number,
  unit: string,
  baselineName: string,
  baseline: number,
  target: string,
): Figure {
  return { name, value, unit, baselineName, baseline, ratio: value / baseline, target };
}

export function printFigures(figures: readonly Figure[], json: boolean): void {
  for (const f of figures) {
    if (json) {
      console.log(
        JSON.stringify({
          name: f.name,
          value: round(f.value),
          unit: f.unit,
          baseline: round(f.baseline),
          ratio: Math.round(f.ratio * 1000) / 1000,
          baseline_name: f.baselineName,
          target: f.target,
        }),
      );
    } else {
      console.log(
        `${f.name.padEnd(34)} ${fmt(f.value).padStart(12)} ${f.unit.padEnd(6)} ` +
          `vs ${f.baselineName} ${fmt(f.baseline)} → ratio ${f.ratio.toFixed(2)}  (target: ${f.target})`,
      );
    }
  }
}

function round(value: number): number {
  return value >= 100 ? Math.round(value) : Math.round(value * 100) / 100;
}

function fmt(value: number): string {
  return round(value).toLocaleString("en-US");
}

/** What one operation costs: CPU time of the whole process (every thread) and wall time. */
export interface OperationCost {
  readonly cpuUs: number;
  readonly wallUs: number;
}

/**
 * CPU time per operation of each candidate, in alternating rounds of `opsPerRound` sequential
 * operations (each awaited when it returns a promise), the median round. CPU time is the
 * process's (`process.cpuUsage`: every thread, WebCrypto's pool included), so work moved to
 * another thread still counts.
 */
export async function compareCpu(
  candidates: Readonly<Record<string, Operation>>,
  { rounds = 15, opsPerRound = 2_000, warmupOps = 2_000 } = {},
): Promise<Record<string, OperationCost>> {
  const names = Object.keys(candidates);
  const run = async (operation: Operation, ops: number): Promise<OperationCost> => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < ops; i++) {
      const result = operation();
      if (result instanceof Promise) await result;
    }
    const wallUs = (performance.now() - start) * 1000;
    const used = process.cpuUsage(cpu);
    return { cpuUs: (used.user + used.system) / ops, wallUs: wallUs / ops };
  };
  for (const name of names) await run(candidates[name] as Operation, warmupOps);
  const samples: Record<string, OperationCost[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      // Each round starts from a collected heap, after a pause: what a collection leaves to
      // background threads (concurrent sweeping) must not be billed to the next candidate.
      globalThis.gc?.();
      await new Promise((resolve) => setTimeout(resolve, 50));
      samples[name]?.push(await run(candidates[name] as Operation, opsPerRound));
    }
  }
  return Object.fromEntries(
    names.map((n) => {
      const costs = samples[n] ?? [];
      return [
        n,
        { cpuUs: median(costs.map((c) => c.cpuUs)), wallUs: median(costs.map((c) => c.wallUs)) },
      ];
    }),
  );
}
