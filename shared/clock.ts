/**
 * Time as milliseconds since the Unix epoch. Every rule that depends on time takes a `Clock` or a
 * `now` argument, so tests move time instead of sleeping.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
