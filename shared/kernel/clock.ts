/**
 * Time as milliseconds since the Unix epoch. Every rule that depends on time takes a `Clock` or a
 * `now` argument, so tests move time instead of sleeping.
 */
export interface Clock {
  now(): number;
  /**
   * Milliseconds on a clock that never goes back (`performance.now()`), for how long something
   * took or how old it is: a wall clock stepped back (NTP, a VM resumed) must not make old data
   * look young. Test clocks may leave it out: durations are then read on `now()`.
   */
  elapsed?(): number;
  /** Waits in real time. Test clocks leave it out: they are moved, not waited for. */
  sleep?(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  elapsed: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The clock's monotonic reading (`elapsed`), or its wall clock where it has none (test clocks). */
export function elapsedOf(clock: Clock): () => number {
  return clock.elapsed === undefined ? () => clock.now() : () => (clock.elapsed as () => number)();
}

/**
 * Returns once the clock is past `instantMs`. A revocation answers only then, so a token issued
 * after its answer is stamped after its cut-off, never in the same millisecond.
 */
export async function afterInstant(clock: Clock, instantMs: number): Promise<void> {
  if (clock.sleep === undefined) return;
  while (clock.now() <= instantMs) await clock.sleep(1);
}

/**
 * A time budget in real time, begun when made: `race` settles with the work, or with what
 * `expired` returns (or throws) once the budget is spent, whichever comes first; several races
 * share the one budget (a retry inside it). `clear` when done, so no timer outlives the work.
 */
export function deadline(budgetMs: number): {
  race<T, E>(work: Promise<T>, expired: () => E): Promise<T | E>;
  clear(): void;
} {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const over = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, budgetMs);
  });
  return {
    race: (work, expired) => Promise.race([work, over.then(expired)]),
    clear: () => clearTimeout(timer),
  };
}

/** `work`, or what `expired` returns (or throws) if it takes longer than `budgetMs`. */
export async function withinBudget<T, E>(
  work: Promise<T>,
  budgetMs: number,
  expired: () => E,
): Promise<T | E> {
  const limit = deadline(budgetMs);
  try {
    return await limit.race(work, expired);
  } finally {
    limit.clear();
  }
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
