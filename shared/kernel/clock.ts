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

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
