/** How long the revocation log's entries took to reach a mirror, since the figures were last taken. */
export interface RevocationLag {
  /** Entries applied and measured. */
  readonly applied: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Lags kept between two receipts; past this, a uniform sample of them. */
const SAMPLES = 1000;

/**
 * The delays from a revocation's log entry (Redis's time, in its id) to the moment a mirror
 * applied it, between two receipts: their count, median, 99th percentile and maximum. Measured on
 * the instance's wall clock against Redis's, so a skew between the two shows in the figure.
 */
export class LagMeter {
  #samples: number[] = [];
  #applied = 0;
  #max = 0;

  constructor(private readonly random: () => number = Math.random) {}

  record(ms: number): void {
    const lag = Math.max(0, ms);
    this.#applied++;
    this.#max = Math.max(this.#max, lag);
    if (this.#samples.length < SAMPLES) this.#samples.push(lag);
    else {
      const slot = Math.floor(this.random() * this.#applied);
      if (slot < SAMPLES) this.#samples[slot] = lag;
    }
  }

  /** The figures since the last call, then starts again; undefined when nothing was applied. */
  take(): RevocationLag | undefined {
    if (this.#applied === 0) return undefined;
    const sorted = this.#samples.sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    const lag = {
      applied: this.#applied,
      p50Ms: Math.round(at(0.5) as number),
      p99Ms: Math.round(at(0.99) as number),
      maxMs: Math.round(this.#max),
    };
    this.#samples = [];
    this.#applied = 0;
    this.#max = 0;
    return lag;
  }
}
