import type { Redis } from "@upstash/redis";
import { HOUR } from "../kernel/clock.ts";
import type { KeyUsage } from "../keyring/plan.ts";
import { DEFAULT_RECEIPT_WINDOW_MS, type Receipt } from "../receipts/receipt.ts";
import { StoreUnavailable } from "../revocation/store.ts";
import { createUpstashClient } from "../upstash/client.ts";
import { DEFAULT_REDIS_PREFIX } from "../upstash/prefix.ts";
import type { UpstashSettings } from "../upstash/settings.ts";
import { consumersOfKid } from "./consumer.ts";
import {
  type HourOfUsage,
  hourOf,
  type KeyConsumer,
  totalOf,
  type UsageCounts,
  type UsageStore,
} from "./counts.ts";
import { UpstashUsageCounter } from "./upstash-counter.ts";

/**
 * Usage in Upstash: verifications in one hash per hour, `<prefix>usage:<hour>`, field = kid
 * (tokens of stale signers likewise, `<prefix>usage:stale:<hour>`, kept 3 hours);
 * refusals in one hash without expiry, `<prefix>usage:refused`, field = kid (a few kids a year);
 * verifications by consumer in one hash per hour, `<prefix>usage:by:<hour>` (`consumerField`).
 * A flush is one pipelined request (HINCRBY per kid, EXPIRE); reading the last day is one
 * pipelined request of 24 HGETALLs; the refusals, one HGETALL.
 */
export class UpstashUsageStore implements UsageStore {
  readonly #redis: Redis;
  readonly #counter: UpstashUsageCounter;

  /** `receiptWindowMs`: how long the receipts `add` writes live (the local stack's verifier's). */
  constructor(
    settings: UpstashSettings,
    private readonly prefix = DEFAULT_REDIS_PREFIX,
    receiptWindowMs = DEFAULT_RECEIPT_WINDOW_MS,
  ) {
    this.#redis = createUpstashClient(settings, 5_000, 1);
    this.#counter = new UpstashUsageCounter(settings, prefix, receiptWindowMs);
  }

  add(counts: UsageCounts, nowMs: number, receipt?: Receipt): Promise<void> {
    return this.#counter.add(counts, nowMs, receipt);
  }

  async staleSignersByKid(nowMs: number): Promise<Readonly<Record<string, number>>> {
    const hours = await this.#hours("usage:stale:", hourOf(nowMs) - 1, nowMs, "stale-signer");
    const totals: Record<string, number> = {};
    for (const hour of hours)
      for (const [kid, n] of Object.entries(hour ?? {}))
        totals[kid] = (totals[kid] ?? 0) + Number(n);
    return totals;
  }

  async refusalsByKid(): Promise<Readonly<Record<string, number>>> {
    let refused: Record<string, unknown> | null;
    try {
      refused = await this.#redis.hgetall(this.#refusedKey);
    } catch (error) {
      throw new StoreUnavailable("refusal figures unavailable", { cause: error });
    }
    return Object.fromEntries(Object.entries(refused ?? {}).map(([kid, n]) => [kid, Number(n)]));
  }

  get #refusedKey(): string {
    return `${this.prefix}usage:refused`;
  }

  async consumersOf(kid: string, nowMs: number): Promise<readonly KeyConsumer[]> {
    const hours = await this.#hours("usage:by:", hourOf(nowMs) - 23, nowMs, "usage");
    return consumersOfKid(
      hours.map((hour) => Object.entries(hour ?? {})),
      kid,
    );
  }

  async verificationsByKid(nowMs: number): Promise<KeyUsage> {
    return totalOf(await this.verificationsByHour(nowMs));
  }

  async verificationsByHour(nowMs: number): Promise<readonly HourOfUsage[]> {
    const first = hourOf(nowMs) - 23;
    const hours = await this.#hours("usage:", first, nowMs, "usage");
    return hours.map((hour, i) => ({
      from: (first + i) * HOUR,
      verified: Object.fromEntries(Object.entries(hour ?? {}).map(([kid, n]) => [kid, Number(n)])),
    }));
  }

  /**
   * The hourly hashes `<prefix><name><hour>` from hour `first` to the hour of `nowMs`, oldest
   * first, in one pipelined request; `StoreUnavailable` naming `what` figures when it fails.
   */
  async #hours(
    name: string,
    first: number,
    nowMs: number,
    what: string,
  ): Promise<(Record<string, unknown> | null)[]> {
    const pipeline = this.#redis.pipeline();
    for (let h = first; h <= hourOf(nowMs); h++) pipeline.hgetall(`${this.prefix}${name}${h}`);
    try {
      return await pipeline.exec<(Record<string, unknown> | null)[]>();
    } catch (error) {
      throw new StoreUnavailable(`${what} figures unavailable`, { cause: error });
    }
  }
}
