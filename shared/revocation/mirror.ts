import type { Clock } from "../clock.ts";
import { ConfigInvalid, StoreUnavailable } from "../errors.ts";
import { upstashFailure } from "../upstash/settings.ts";
import {
  LOG_RETENTION_MS,
  type LogEntry,
  RELOAD_MARGIN_MS,
  type RevocationLog,
} from "./change-log.ts";
import { evaluate, lookupFor, type RevocationStatus, type TokenFacts } from "./rules.ts";
import type { RevocationStore } from "./store.ts";

export interface MirrorOptions {
  readonly log: RevocationLog;
  /** The per-request lookup, used while the mirror holds more rules than `maxRules`. */
  readonly fallback: Pick<RevocationStore, "check">;
  readonly clock: Clock;
  /** The mirror decides alone only while its last refresh began less than this ago. Default 1000. */
  readonly freshnessMs?: number;
  /** A check that needs a refresh answers within this many milliseconds, or `StoreUnavailable`. Default 100. */
  readonly budgetMs?: number;
  /** Above this many live rules the mirror stops and every check is a lookup. Default 200,000. */
  readonly maxRules?: number;
  /** Told when the mirror stops for its size (a metric and a log line). */
  readonly onOverflow?: (rules: number) => void;
}

export interface MirrorStats {
  /** Checks decided from memory, with no round trip. */
  readonly local: number;
  /** Delta reads of the log, and snapshot reloads. */
  readonly refreshes: number;
  readonly snapshots: number;
  /** Checks answered by the per-request lookup (the mirror overflowed). */
  readonly lookups: number;
  readonly rules: number;
}

/**
 * Every live revocation rule in the verifier's memory, brought up to date by reading the change
 * log after the last entry it saw (one round trip). A check is decided from memory while the last
 * refresh began less than `freshnessMs` ago (the revocation promise: a rule answered 2xx is
 * enforced within that), with zero round trips; otherwise the check waits for one refresh (one
 * in flight per mirror, shared by every check waiting) and decides from the result. A refresh that
 * does not finish within the budget is `StoreUnavailable`: the caller's failure mode applies, as
 * for a lookup. A mirror without rules yet, or that may have missed entries the writers trimmed
 * (idle longer than the log's retention allows), reloads a snapshot in the background and answers
 * by lookups (one round trip each) meanwhile; past `maxRules` it gives up and every check is a
 * lookup.
 */
export class RevocationMirror implements Pick<RevocationStore, "check"> {
  readonly #log: RevocationLog;
  readonly #fallback: Pick<RevocationStore, "check">;
  readonly #clock: Clock;
  readonly #freshnessMs: number;
  readonly #budgetMs: number;
  readonly #maxRules: number;
  readonly #onOverflow: (rules: number) => void;
  readonly #rules = new Map<string, { value: number; expiresAtMs: number }>();
  #position: string | undefined;
  #syncedAt = Number.NEGATIVE_INFINITY;
  #sweptAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;
  #overflowed = false;
  #stats = { local: 0, refreshes: 0, snapshots: 0, lookups: 0 };

  constructor(options: MirrorOptions) {
    this.#log = options.log;
    this.#fallback = options.fallback;
    this.#clock = options.clock;
    this.#freshnessMs = options.freshnessMs ?? 1000;
    this.#budgetMs = options.budgetMs ?? 100;
    this.#maxRules = options.maxRules ?? 200_000;
    this.#onOverflow = options.onOverflow ?? (() => undefined);
    const problems: string[] = [];
    if (
      !(Number.isInteger(this.#freshnessMs) && this.#freshnessMs >= 1 && this.#freshnessMs <= 1000)
    )
      problems.push("freshnessMs must be a whole number of milliseconds from 1 to 1000");
    if (!(this.#budgetMs > 0)) problems.push("budgetMs must be above 0");
    if (!(Number.isInteger(this.#maxRules) && this.#maxRules >= 1))
      problems.push("maxRules must be a whole number above 0");
    if (problems.length > 0) throw new ConfigInvalid(problems);
  }

  async check(facts: TokenFacts): Promise<RevocationStatus> {
    const started = this.#clock.now();
    if (!this.#overflowed && started - this.#syncedAt >= this.#freshnessMs) {
      // A snapshot takes several round trips: meanwhile, checks are lookups (one round trip).
      if (this.#needsSnapshot(started)) {
        this.#refresh().catch(() => undefined);
        return this.#lookup(facts);
      }
      await this.#refreshWithinBudget();
    }
    if (this.#overflowed) return this.#lookup(facts);
    this.#stats.local++;
    const now = this.#clock.now();
    const lookup = lookupFor(this.#log.prefix, facts);
    return evaluate(
      lookup,
      lookup.keys.map((key) => this.#valueAt(key, now)),
      facts,
    );
  }

  /**
   * Loads the rules ahead of the first check (a Lambda's init phase), however many round trips the
   * snapshot takes. Failures are ignored: checks are lookups until a snapshot succeeds.
   */
  async warmUp(): Promise<void> {
    await this.#refresh().catch(() => undefined);
  }

  #lookup(facts: TokenFacts): Promise<RevocationStatus> {
    this.#stats.lookups++;
    return this.#fallback.check(facts);
  }

  /**
   * Writers trim the log by age: past the retention (less a margin for clock skew) some entries
   * after this mirror's position may be gone, so it starts again from a snapshot.
   */
  #needsSnapshot(now: number): boolean {
    return (
      this.#position === undefined || now - this.#syncedAt > LOG_RETENTION_MS - RELOAD_MARGIN_MS
    );
  }

  /**
   * The refresh in flight, if any: a runtime that ends a request's work with its answer (Workers)
   * keeps it alive with `waitUntil`, so a background snapshot is not cut short.
   */
  get refreshing(): Promise<void> | undefined {
    return this.#inFlight;
  }

  stats(): MirrorStats {
    return { ...this.#stats, rules: this.#rules.size };
  }

  /** A refresh that began at or after `now - freshness`, shared, within the budget. */
  async #refreshWithinBudget(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new StoreUnavailable(`revocation log did not answer within ${this.#budgetMs} ms`)),
        this.#budgetMs,
      );
    });
    try {
      // A refresh already under way may have begun too long ago: then one more, after it.
      for (let attempt = 0; attempt < 2; attempt++) {
        await Promise.race([this.#refresh(), deadline]);
        if (this.#overflowed || this.#clock.now() - this.#syncedAt < this.#freshnessMs) return;
      }
      throw new StoreUnavailable("revocation log could not be read fresh enough");
    } finally {
      clearTimeout(timer);
    }
  }

  #refresh(): Promise<void> {
    this.#inFlight ??= this.#sync().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #sync(): Promise<void> {
    const started = this.#clock.now();
    const position = this.#position;
    try {
      if (position === undefined || this.#needsSnapshot(started)) {
        const snapshot = await this.#log.snapshot(started);
        this.#rules.clear();
        this.#apply(snapshot.rules, started);
        this.#position = snapshot.position;
        this.#stats.snapshots++;
      } else {
        const delta = await this.#log.since(position);
        this.#apply(delta.entries, started);
        this.#position = delta.position;
        this.#stats.refreshes++;
      }
    } catch (error) {
      if (error instanceof StoreUnavailable) throw error;
      throw new StoreUnavailable(`revocation log unavailable: ${upstashFailure(error)}`, {
        cause: error,
      });
    }
    this.#syncedAt = started;
    if (started - this.#sweptAt >= 60_000) this.#sweep(started);
    if (this.#rules.size > this.#maxRules) {
      this.#overflowed = true;
      const rules = this.#rules.size;
      this.#rules.clear();
      this.#onOverflow(rules);
    }
  }

  /** Later entries of a key replace earlier ones: writers only ever raise a rule's instant. */
  #apply(entries: readonly LogEntry[], now: number): void {
    for (const entry of entries) {
      if (entry.expiresAtMs <= now) this.#rules.delete(entry.key);
      else this.#rules.set(entry.key, { value: entry.value, expiresAtMs: entry.expiresAtMs });
    }
  }

  /** Rules leave the mirror when they leave the store. */
  #sweep(now: number): void {
    for (const [key, rule] of this.#rules) if (rule.expiresAtMs <= now) this.#rules.delete(key);
    this.#sweptAt = now;
  }

  #valueAt(key: string, now: number): number | null {
    const rule = this.#rules.get(key);
    if (rule === undefined) return null;
    if (rule.expiresAtMs <= now) {
      this.#rules.delete(key);
      return null;
    }
    return rule.value;
  }
}
