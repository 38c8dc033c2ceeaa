import type { Redis } from "@upstash/redis";
import type { KeyUsage } from "../keyring/policy.ts";
import { StoreUnavailable } from "../revocation/store.ts";
import { createUpstashClient, type UpstashSettings } from "../upstash-client.ts";
import { hourOf, type UsageStore } from "./counts.ts";

/** Hourly buckets outlive the day the gate reads by a margin, then expire by themselves. */
const BUCKET_TTL_SECONDS = 26 * 3600;

/**
 * Usage in Upstash: one hash per hour, `<prefix>usage:<hour>`, field = kid. A flush is one
 * pipelined request (HINCRBY per kid, EXPIRE); reading the last day is one pipelined request of
 * 24 HGETALLs.
 */
export class UpstashUsageStore implements UsageStore {
  readonly #redis: Redis;

  constructor(
    settings: UpstashSettings,
    private readonly prefix = "kw:",
  ) {
    this.#redis = createUpstashClient(settings, 5_000, 1);
  }

  async add(counts: ReadonlyMap<string, number>, nowMs: number): Promise<void> {
    const key = `${this.prefix}usage:${hourOf(nowMs)}`;
    const pipeline = this.#redis.pipeline();
    for (const [kid, n] of counts) pipeline.hincrby(key, kid, n);
    pipeline.expire(key, BUCKET_TTL_SECONDS);
    await pipeline.exec();
  }

  async verificationsByKid(nowMs: number): Promise<KeyUsage> {
    const pipeline = this.#redis.pipeline();
    for (let h = hourOf(nowMs) - 23; h <= hourOf(nowMs); h++)
      pipeline.hgetall(`${this.prefix}usage:${h}`);
    let hours: (Record<string, unknown> | null)[];
    try {
      hours = await pipeline.exec<(Record<string, unknown> | null)[]>();
    } catch (error) {
      throw new StoreUnavailable("usage figures unavailable", { cause: error });
    }
    const totals: Record<string, number> = {};
    for (const hour of hours) {
      for (const [kid, n] of Object.entries(hour ?? {}))
        totals[kid] = (totals[kid] ?? 0) + Number(n);
    }
    return totals;
  }
}
