/**
 * Time as milliseconds since the Unix epoch. Every rule that depends on time takes a `Clock` or a
 * `now` argument, so tests move time instead of sleeping.
 */
export interface Clock {
  now(): number;
  /** Waits in real time. Test clocks leave it out: they are moved, not waited for. */
  sleep?(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

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
