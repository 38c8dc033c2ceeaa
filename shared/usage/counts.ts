import { HOUR, MINUTE } from "../kernel/clock.ts";
import type { KeyUsage } from "../keyring/plan.ts";
import type { Receipt } from "../receipts/receipt.ts";
import type { MemoryReceipts } from "../receipts/store.ts";
import {
  consumerField,
  consumerLabel,
  consumersOfKid,
  MAX_CONSUMERS_PER_KEY,
  OTHER_CONSUMERS,
  UNNAMED_CONSUMER,
} from "./consumer.ts";

/** What verifiers counted since their last write, per kid. */
export interface UsageCounts {
  /** Tokens allowed, per signing key (the grace gate's figures). */
  readonly verified: ReadonlyMap<string, number>;
  /** Unexpired tokens refused because their key was retired or compromised (the journal's figures). */
  readonly refused: ReadonlyMap<string, number>;
  /** Tokens signed after their key stopped signing (`signedByStaleSigner`): the migration guard's figures. */
  readonly stale: ReadonlyMap<string, number>;
  /** Tokens allowed per signing key and consumer (`consumerOf`): the impact preview's figures. */
  readonly consumers?: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** The kind of instance that counted them (`authorizer`, `edge`, …), where it says. */
  readonly kind?: string;
}

/** One hour's verifications per kid. */
export interface HourOfUsage {
  /** The hour's first millisecond. */
  readonly from: number;
  readonly verified: Readonly<Record<string, number>>;
}

/** The last day's total per kid, from its hours. */
export function totalOf(hours: readonly HourOfUsage[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const hour of hours)
    for (const [kid, n] of Object.entries(hour.verified)) totals[kid] = (totals[kid] ?? 0) + n;
  return totals;
}

/** Who verified tokens of one key over the last day: a consumer, through one kind of verifier. */
export interface KeyConsumer {
  readonly consumer: string;
  /** `authorizer`, `edge`, `sessions`, `local`, or `unknown`. */
  readonly verifier: string;
  readonly verifications: number;
}

/** Where verification counts are added up and read back. */
export interface UsageStore {
  /** Adds `counts`, and stores the instance's `receipt` in the same request when one is given. */
  add(counts: UsageCounts, nowMs: number, receipt?: Receipt): Promise<void>;
  /** Verifications per kid over the 24 hours before `nowMs` (the grace gate's figures). */
  verificationsByKid(nowMs: number): Promise<KeyUsage>;
  /** Verifications per kid in each of the 24 hours up to `nowMs`, oldest first (the console's chart). */
  verificationsByHour(nowMs: number): Promise<readonly HourOfUsage[]>;
  /** Verifications of `kid` over the 24 hours before `nowMs` by consumer and verifier, most first. */
  consumersOf(kid: string, nowMs: number): Promise<readonly KeyConsumer[]>;
  /** Refusals per kid since counting began (kept as long as the store keeps them). */
  refusalsByKid(): Promise<Readonly<Record<string, number>>>;
  /** Tokens from stale signers per kid, this hour and the one before. */
  staleSignersByKid(nowMs: number): Promise<Readonly<Record<string, number>>>;
}

/** "stale-signer": verified, and signed after its key stopped signing. */
export type UsageOutcome = "verified" | "refused" | "stale-signer";

export const hourOf = (ms: number) => Math.floor(ms / HOUR);

/**
 * Counts verifications per kid in memory (one map increment per request) and hands them to the
 * store at most once per `flushEveryMs`, off the request path. A container that dies before a
 * flush loses at most that interval's counts: the gate needs a share, not an exact figure.
 */
export class UsageRecorder {
  /** Per kid, per consumer (as the token names it; cleaned at the flush). */
  #verified = new Map<string, Map<string, number>>();
  #refused = new Map<string, number>();
  #stale = new Map<string, number>();
  #lastFlush: number;
  #flushing: Promise<void> | undefined;

  /**
   * `receipt`, when given, says what this instance holds: written with each flush (so at most once
   * a minute, and each minute the instance serves requests), counts or not.
   */
  constructor(
    private readonly store: Pick<UsageStore, "add">,
    nowMs: number,
    private readonly flushEveryMs = MINUTE,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly receipt?: () => Receipt,
  ) {
    this.#lastFlush = nowMs;
  }

  /**
   * Counts one outcome (a verification for `consumer`, `consumerOf` its claims); once a minute it
   * also starts a flush and returns it (a runtime that ends a request's work with its answer keeps
   * it alive with `waitUntil`).
   */
  record(
    kid: string,
    nowMs: number,
    outcome: UsageOutcome = "verified",
    consumer: string = UNNAMED_CONSUMER,
  ): Promise<void> | undefined {
    if (outcome === "refused") increment(this.#refused, kid, 1);
    else {
      let byConsumer = this.#verified.get(kid);
      if (byConsumer === undefined) {
        byConsumer = new Map();
        this.#verified.set(kid, byConsumer);
      }
      const n = byConsumer.get(consumer);
      if (n !== undefined) byConsumer.set(consumer, n + 1);
      else if (byConsumer.size < MAX_CONSUMERS_PER_KEY) byConsumer.set(consumer, 1);
      else increment(byConsumer, OTHER_CONSUMERS, 1);
      if (outcome === "stale-signer") increment(this.#stale, kid, 1);
    }
    return this.touch(nowMs);
  }

  /**
   * Starts a flush once a minute, counts or not, and returns it: an instance that counts nothing
   * per request (an issuer) calls it per request, so its receipt is written in every minute it
   * serves.
   */
  touch(nowMs: number): Promise<void> | undefined {
    if (nowMs - this.#lastFlush >= this.flushEveryMs && this.#flushing === undefined)
      return this.flush(nowMs);
    return undefined;
  }

  /** Writes what was counted so far (one request); counts of a failed write are kept for the next. */
  flush(nowMs: number): Promise<void> {
    if (this.#flushing !== undefined) return this.#flushing;
    this.#lastFlush = nowMs;
    const receipt = this.receipt?.();
    if (this.#verified.size === 0 && this.#refused.size === 0 && receipt === undefined)
      return Promise.resolve();
    const counts = countsOf(this.#verified, this.#refused, this.#stale, receipt?.kind);
    this.#verified = new Map();
    this.#refused = new Map();
    this.#stale = new Map();
    this.#flushing = this.store
      .add(counts, nowMs, receipt)
      .then(
        () => undefined,
        (error: unknown) => {
          for (const [kid, byConsumer] of counts.consumers ?? []) {
            const kept = this.#verified.get(kid) ?? new Map<string, number>();
            for (const [consumer, n] of byConsumer) increment(kept, consumer, n);
            this.#verified.set(kid, kept);
          }
          for (const [kid, n] of counts.refused) increment(this.#refused, kid, n);
          for (const [kid, n] of counts.stale) increment(this.#stale, kid, n);
          this.onError(error);
        },
      )
      .finally(() => {
        this.#flushing = undefined;
      });
    return this.#flushing;
  }

  /**
   * Writes now, or right after the write in flight (which may have been built before what
   * changed): the receipt then says what the instance holds at once, not at its next minute.
   */
  report(now: () => number): Promise<void> {
    const inFlight = this.#flushing;
    return inFlight === undefined ? this.flush(now()) : inFlight.then(() => this.flush(now()));
  }
}

/** A flush's counts: each key's total, and its consumers under their cleaned names. */
function countsOf(
  byKid: ReadonlyMap<string, ReadonlyMap<string, number>>,
  refused: ReadonlyMap<string, number>,
  stale: ReadonlyMap<string, number>,
  kind: string | undefined,
): UsageCounts {
  const verified = new Map<string, number>();
  const consumers = new Map<string, Map<string, number>>();
  for (const [kid, byConsumer] of byKid) {
    const labelled = new Map<string, number>();
    for (const [consumer, n] of byConsumer) {
      increment(verified, kid, n);
      increment(labelled, consumerLabel(consumer), n);
    }
    consumers.set(kid, labelled);
  }
  return { verified, refused, stale, consumers, ...(kind === undefined ? {} : { kind }) };
}

function increment(counts: Map<string, number>, kid: string, n: number): void {
  counts.set(kid, (counts.get(kid) ?? 0) + n);
}

/** Usage kept in process memory (the local stack, tests); receipts into `receipts` when given. */
export class MemoryUsageStore implements UsageStore {
  readonly #hours = new Map<number, Map<string, number>>();
  readonly #refused = new Map<string, number>();
  readonly #staleHours = new Map<number, Map<string, number>>();
  /** Per hour, `consumerField` → verifications. */
  readonly #consumerHours = new Map<number, Map<string, number>>();

  constructor(private readonly receipts?: MemoryReceipts) {}

  async add(counts: UsageCounts, nowMs: number, receipt?: Receipt): Promise<void> {
    if (receipt !== undefined) this.receipts?.record(receipt, nowMs);
    const hour = this.#hours.get(hourOf(nowMs)) ?? new Map<string, number>();
    for (const [kid, n] of counts.verified) increment(hour, kid, n);
    this.#hours.set(hourOf(nowMs), hour);
    for (const [kid, n] of counts.refused) increment(this.#refused, kid, n);
    const stale = this.#staleHours.get(hourOf(nowMs)) ?? new Map<string, number>();
    for (const [kid, n] of counts.stale ?? []) increment(stale, kid, n);
    this.#staleHours.set(hourOf(nowMs), stale);
    const consumers = this.#consumerHours.get(hourOf(nowMs)) ?? new Map<string, number>();
    for (const [kid, byConsumer] of counts.consumers ?? [])
      for (const [consumer, n] of byConsumer)
        increment(consumers, consumerField(kid, counts.kind, consumer), n);
    this.#consumerHours.set(hourOf(nowMs), consumers);
  }

  async consumersOf(kid: string, nowMs: number): Promise<readonly KeyConsumer[]> {
    const hours = [];
    for (let h = hourOf(nowMs) - 23; h <= hourOf(nowMs); h++)
      hours.push(this.#consumerHours.get(h) ?? []);
    return consumersOfKid(hours, kid);
  }

  async staleSignersByKid(nowMs: number): Promise<Readonly<Record<string, number>>> {
    const totals: Record<string, number> = {};
    for (const h of [hourOf(nowMs) - 1, hourOf(nowMs)])
      for (const [kid, n] of this.#staleHours.get(h) ?? []) totals[kid] = (totals[kid] ?? 0) + n;
    return totals;
  }

  async verificationsByKid(nowMs: number): Promise<KeyUsage> {
    return totalOf(await this.verificationsByHour(nowMs));
  }

  async verificationsByHour(nowMs: number): Promise<readonly HourOfUsage[]> {
    const hours: HourOfUsage[] = [];
    for (let h = hourOf(nowMs) - 23; h <= hourOf(nowMs); h++)
      hours.push({ from: h * HOUR, verified: Object.fromEntries(this.#hours.get(h) ?? []) });
    return hours;
  }

  async refusalsByKid(): Promise<Readonly<Record<string, number>>> {
    return Object.fromEntries(this.#refused);
  }
}
