import { type Clock, deadline, elapsedOf } from "../kernel/clock.ts";
import { ConfigInvalid, StoreUnavailable } from "../kernel/errors.ts";
import { upstashFailure } from "../upstash/settings.ts";
import {
  LOG_RETENTION_MS,
  type LogEntry,
  type LoggedEntry,
  type LogPosition,
  missesEntries,
  RELOAD_MARGIN_MS,
  type RevocationLog,
} from "./change-log.ts";
import { LagMeter, type RevocationLag } from "./lag.ts";
import { MirroredRules } from "./mirrored-rules.ts";
import { type RevocationStatus, revocationKey, type TokenFacts } from "./rules.ts";
import type { RevocationStore } from "./store.ts";

/**
 * The revocation promise: a rule answered 2xx is enforced by every verifier within this. A mirror
 * decides alone for at most its freshness bound after a refresh began, and a refresh then has its
 * budget: the two together must fit.
 */
export const REVOCATION_PROMISE_MS = 1000;

export interface MirrorOptions {
  readonly log: RevocationLog;
  /** The per-request lookup: until the first snapshot, after a lost entry, past `maxRules`. */
  readonly fallback: Pick<RevocationStore, "check">;
  readonly clock: Clock;
  /** The mirror decides alone only while its last refresh began less than this ago. Default 900. */
  readonly freshnessMs?: number;
  /**
   * A check that needs a refresh answers within this many milliseconds, or `StoreUnavailable`.
   * Default 100. With `freshnessMs`, at most `REVOCATION_PROMISE_MS`.
   */
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
  /** Delta reads that found entries missing (trimmed, evicted): each led to a snapshot. */
  readonly gaps: number;
  /** Checks answered by the per-request lookup (no snapshot yet, or the mirror overflowed). */
  readonly lookups: number;
  readonly rules: number;
}

/**
 * Every live revocation rule in the verifier's memory, brought up to date by reading the change
 * log after the last entry it applied (one round trip). A check is decided from memory while the
 * last refresh began less than `freshnessMs` ago, with zero round trips; otherwise the check waits
 * for one refresh (one in flight per mirror, shared by every check waiting) and decides from the
 * result. A refresh that does not finish within the budget is `StoreUnavailable`: the caller's
 * failure mode applies, as for a lookup. So a rule is enforced within freshness + budget of its
 * write, at most `REVOCATION_PROMISE_MS`.
 *
 * The mirror never decides on a log it may have lost entries of: without rules yet, after a gap
 * in the entries' numbers (trimmed, evicted, a counter reset), or idle longer than the log's
 * retention, it reloads a snapshot in the background and answers by lookups (one round trip each)
 * meanwhile; past `maxRules` it gives up and every check is a lookup. Ages are read on the clock's
 * monotonic reading: a wall clock stepped back does not make the mirror look fresh.
 */
export class RevocationMirror implements Pick<RevocationStore, "check"> {
  readonly #log: RevocationLog;
  readonly #fallback: Pick<RevocationStore, "check">;
  readonly #clock: Clock;
  readonly #elapsed: () => number;
  readonly #freshnessMs: number;
  readonly #budgetMs: number;
  readonly #maxRules: number;
  readonly #onOverflow: (rules: number) => void;
  readonly #rules: MirroredRules;
  /** Undefined until the first snapshot, and again once entries may have been lost. */
  #position: LogPosition | undefined;
  #syncedAt = Number.NEGATIVE_INFINITY;
  #sweptAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;
  #overflowed = false;
  #stats = { local: 0, refreshes: 0, snapshots: 0, gaps: 0, lookups: 0 };
  readonly #lag = new LagMeter();
  readonly #keyRulePrefix: string;
  /**
   * Called after a refresh applied a key rule (an emergency's): the instance reports at once
   * rather than at its next minute, so the emergency can tell who enforces it.
   */
  onKeyRuleApplied: (() => void) | undefined;

  constructor(options: MirrorOptions) {
    this.#log = options.log;
    this.#fallback = options.fallback;
    this.#clock = options.clock;
    this.#elapsed = elapsedOf(options.clock);
    this.#freshnessMs = options.freshnessMs ?? 900;
    this.#budgetMs = options.budgetMs ?? 100;
    this.#maxRules = options.maxRules ?? 200_000;
    this.#onOverflow = options.onOverflow ?? (() => undefined);
    this.#rules = new MirroredRules(options.log.prefix);
    this.#keyRulePrefix = revocationKey(options.log.prefix, { kind: "kid", kid: "" });
    const problems: string[] = [];
    if (!(Number.isInteger(this.#freshnessMs) && this.#freshnessMs >= 1))
      problems.push("freshnessMs must be a whole number of milliseconds above 0");
    if (!(this.#budgetMs > 0)) problems.push("budgetMs must be above 0");
    if (this.#freshnessMs + this.#budgetMs > REVOCATION_PROMISE_MS)
      problems.push(
        `freshnessMs plus budgetMs must be at most ${REVOCATION_PROMISE_MS} (the revocation promise)`,
      );
    if (!(Number.isInteger(this.#maxRules) && this.#maxRules >= 1))
      problems.push("maxRules must be a whole number above 0");
    if (problems.length > 0) throw new ConfigInvalid(problems);
  }

  /**
   * The decision from memory without waiting, while the mirror is fresh (the usual case);
   * undefined when a check must wait for a refresh or a lookup (then `check`).
   */
  checkNow(facts: TokenFacts, nowMs = this.#clock.now()): RevocationStatus | undefined {
    if (this.#overflowed || this.#elapsed() - this.#syncedAt >= this.#freshnessMs) return undefined;
    this.#stats.local++;
    return this.#rules.check(facts, nowMs);
  }

  async check(facts: TokenFacts): Promise<RevocationStatus> {
    const now = this.checkNow(facts);
    if (now !== undefined) return now;
    if (!this.#overflowed && this.#elapsed() - this.#syncedAt >= this.#freshnessMs) {
      if (!this.#needsSnapshot()) await this.#refreshWithinBudget();
      // A snapshot takes several round trips: meanwhile, checks are lookups (one round trip).
      if (this.#needsSnapshot()) {
        this.#refresh().catch(() => undefined);
        return this.#lookup(facts);
      }
    }
    if (this.#overflowed) return this.#lookup(facts);
    this.#stats.local++;
    return this.#rules.check(facts, this.#clock.now());
  }

  /**
   * Loads the rules ahead of the first check (a Lambda's init phase), however many round trips the
   * snapshot takes. Failures are ignored: checks are lookups until a snapshot succeeds.
   */
  async warmUp(): Promise<void> {
    await this.#refresh().catch(() => undefined);
  }

  /**
   * This process just wrote a rule: the next check reads the log first (one round trip), so a
   * verifier beside its writer (the local stack) refuses at the very next request.
   */
  expire(): void {
    this.#syncedAt = Math.min(this.#syncedAt, this.#elapsed() - this.#freshnessMs);
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

  #lookup(facts: TokenFacts): Promise<RevocationStatus> {
    this.#stats.lookups++;
    return this.#fallback.check(facts);
  }

  /**
   * No position (never loaded, or entries lost), or idle past the log's retention (less a margin):
   * some entries after this mirror's position may be gone, so it starts again from a snapshot.
   */
  #needsSnapshot(): boolean {
    return (
      this.#position === undefined ||
      this.#elapsed() - this.#syncedAt > LOG_RETENTION_MS - RELOAD_MARGIN_MS
    );
  }

  /** A refresh that began at or after `now - freshness`, shared, within the budget. */
  async #refreshWithinBudget(): Promise<void> {
    const limit = deadline(this.#budgetMs);
    try {
      // A refresh already under way may have begun too long ago: then one more, after it.
      for (let attempt = 0; attempt < 2; attempt++) {
        await limit.race(this.#refresh(), () => {
          throw new StoreUnavailable(`revocation log did not answer within ${this.#budgetMs} ms`);
        });
        if (
          this.#overflowed ||
          this.#needsSnapshot() ||
          this.#elapsed() - this.#syncedAt < this.#freshnessMs
        )
          return;
      }
      throw new StoreUnavailable("revocation log could not be read fresh enough");
    } finally {
      limit.clear();
    }
  }

  #refresh(): Promise<void> {
    this.#inFlight ??= this.#sync().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #sync(): Promise<void> {
    const started = this.#elapsed();
    const now = this.#clock.now();
    const position = this.#position;
    try {
      if (position === undefined || this.#needsSnapshot()) {
        const snapshot = await this.#log.snapshot(now);
        this.#rules.clear();
        this.#apply(snapshot.rules, now);
        this.#position = snapshot.position;
        this.#stats.snapshots++;
      } else {
        const delta = await this.#log.since(position);
        if (missesEntries(position, delta)) {
          // Deciding on what is left would miss the lost rule: lookups until a snapshot.
          this.#position = undefined;
          this.#stats.gaps++;
          return;
        }
        const keyRule = this.#apply(delta.entries, now);
        this.#measureLag(delta.entries);
        this.#position = delta.position;
        this.#stats.refreshes++;
        // A snapshot's key rules are old ones: only a new one is news worth a receipt now.
        if (keyRule) this.onKeyRuleApplied?.();
      }
    } catch (error) {
      if (error instanceof StoreUnavailable) throw error;
      throw new StoreUnavailable(`revocation log unavailable: ${upstashFailure(error)}`, {
        cause: error,
      });
    }
    this.#syncedAt = started;
    if (started - this.#sweptAt >= 60_000) this.#sweep(now, started);
    if (this.#rules.size > this.#maxRules) {
      this.#overflowed = true;
      const rules = this.#rules.size;
      this.#rules.clear();
      this.#onOverflow(rules);
    }
  }

  /** Entries only ever raise a live rule (`MirroredRules.apply`). Answers whether one was a key rule. */
  #apply(entries: readonly LogEntry[], now: number): boolean {
    let keyRule = false;
    for (const entry of entries) {
      this.#rules.apply(entry, now);
      if (entry.key.startsWith(this.#keyRulePrefix)) keyRule = true;
    }
    return keyRule;
  }

  /** How late each entry of a delta reached this mirror, from when the log took it. */
  #measureLag(entries: readonly LoggedEntry[]): void {
    if (entries.length === 0) return;
    const appliedAt = this.#clock.now();
    for (const entry of entries)
      if (entry.loggedAtMs !== undefined && Number.isFinite(entry.loggedAtMs))
        this.#lag.record(appliedAt - entry.loggedAtMs);
  }

  /** The change-log entry applied last (its stream id); undefined until a first read. */
  get position(): string | undefined {
    return this.#position?.id;
  }

  /** How late the log's entries reached this mirror since the last call (a receipt's figures). */
  takeLag(): RevocationLag | undefined {
    return this.#lag.take();
  }

  /** Rules leave the mirror when they leave the store. */
  #sweep(now: number, at: number): void {
    this.#rules.sweep(now);
    this.#sweptAt = at;
  }
}
