import type { Clock } from "../../shared/kernel/clock.ts";

export interface MovableClock extends Clock {
  /** Moves both readings ahead, as if `ms` had passed. */
  advance(ms: number): void;
}

/**
 * Real time plus whatever the test moved it on. Tokens signed with `Date.now()` stay valid, real
 * stores answer as usual, and a bound (a mirror's freshness, a cache's TTL) passes when the test
 * says so rather than when a busy machine gets there: a promise checked by construction.
 */
export function movableClock(): MovableClock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    elapsed: () => performance.now() + offset,
    advance(ms) {
      offset += ms;
    },
  };
}
