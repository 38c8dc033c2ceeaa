import { HOUR, MINUTE } from "../clock.ts";
import type { KeyUsage } from "../keyring/policy.ts";

/** Where verification counts are added up, per kid and hour, and read back for the last day. */
export interface UsageStore {
  add(counts: ReadonlyMap<string, number>, nowMs: number): Promise<void>;
  /** Verifications per kid over the 24 hours before `nowMs` (the grace gate's figures). */
  verificationsByKid(nowMs: number): Promise<KeyUsage>;
}

export const hourOf = (ms: number) => Math.floor(ms / HOUR);

/**
 * Counts verifications per kid in memory (one map increment per request) and hands them to the
 * store at most once per `flushEveryMs`, off the request path. A container that dies before a
 * flush loses at most that interval's counts: the gate needs a share, not an exact figure.
 */
export class UsageRecorder {
  #counts = new Map<string, number>();
  #lastFlush: number;
  #flushing: Promise<void> | undefined;

  constructor(
    private readonly store: UsageStore,
    nowMs: number,
    private readonly flushEveryMs = MINUTE,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.#lastFlush = nowMs;
  }

  record(kid: string, nowMs: number): void {
    this.#counts.set(kid, (this.#counts.get(kid) ?? 0) + 1);
    if (nowMs - this.#lastFlush >= this.flushEveryMs && this.#flushing === undefined)
      void this.flush(nowMs);
  }

  /** Writes what was counted so far (one request); counts of a failed write are kept for the next. */
  flush(nowMs: number): Promise<void> {
    if (this.#flushing !== undefined) return this.#flushing;
    this.#lastFlush = nowMs;
    const counts = this.#counts;
    if (counts.size === 0) return Promise.resolve();
    this.#counts = new Map();
    this.#flushing = this.store.add(counts, nowMs).then(
      () => undefined,
      (error: unknown) => {
        for (const [kid, n] of counts) this.#counts.set(kid, (this.#counts.get(kid) ?? 0) + n);
        this.onError(error);
      },
    );
    return this.#flushing.finally(() => {
      this.#flushing = undefined;
    });
  }
}

/** Usage kept in process memory (the local stack, tests). */
export class MemoryUsageStore implements UsageStore {
  readonly #hours = new Map<number, Map<string, number>>();

  async add(counts: ReadonlyMap<string, number>, nowMs: number): Promise<void> {
    const hour = this.#hours.get(hourOf(nowMs)) ?? new Map<string, number>();
    for (const [kid, n] of counts) hour.set(kid, (hour.get(kid) ?? 0) + n);
    this.#hours.set(hourOf(nowMs), hour);
  }

  async verificationsByKid(nowMs: number): Promise<KeyUsage> {
    const totals: Record<string, number> = {};
    for (let h = hourOf(nowMs) - 23; h <= hourOf(nowMs); h++) {
      for (const [kid, n] of this.#hours.get(h) ?? []) totals[kid] = (totals[kid] ?? 0) + n;
    }
    return totals;
  }
}
