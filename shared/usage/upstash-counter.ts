import { DEFAULT_RECEIPT_WINDOW_MS, type Receipt } from "../receipts/receipt.ts";
import { receiptCommands } from "../receipts/upstash.ts";
import { DEFAULT_REDIS_PREFIX } from "../upstash/prefix.ts";
import { type UpstashArgument, UpstashRest } from "../upstash/rest.ts";
import type { UpstashSettings } from "../upstash/settings.ts";
import { consumerField } from "./consumer.ts";
import { hourOf, type UsageCounts, type UsageStore } from "./counts.ts";

/** Hourly buckets outlive the day the gate reads by a margin, then expire by themselves. */
const BUCKET_TTL_SECONDS = 26 * 3600;
const STALE_TTL_SECONDS = 3 * 3600;

/**
 * The verifiers' side of the Upstash usage store (`UpstashUsageStore` reads the figures): a flush
 * is one pipelined request over `UpstashRest`, HINCRBY per kid into the hour's hash
 * (`<prefix>usage:<hour>`, `<prefix>usage:stale:<hour>`) and per kid, verifier kind and consumer
 * (`<prefix>usage:by:<hour>`, `consumerField`), each with its EXPIRE, into the refusals' hash
 * without expiry (`<prefix>usage:refused`), and the instance's receipt when it has one
 * (`receiptCommands`).
 */
export class UpstashUsageCounter implements Pick<UsageStore, "add"> {
  readonly #rest: UpstashRest;

  constructor(
    settings: UpstashSettings,
    private readonly prefix = DEFAULT_REDIS_PREFIX,
    private readonly receiptWindowMs = DEFAULT_RECEIPT_WINDOW_MS,
  ) {
    this.#rest = new UpstashRest(settings, 5_000);
  }

  async add(counts: UsageCounts, nowMs: number, receipt?: Receipt): Promise<void> {
    const commands: UpstashArgument[][] = [];
    const key = `${this.prefix}usage:${hourOf(nowMs)}`;
    for (const [kid, n] of counts.verified) commands.push(["HINCRBY", key, kid, n]);
    if (counts.verified.size > 0) commands.push(["EXPIRE", key, BUCKET_TTL_SECONDS]);
    for (const [kid, n] of counts.refused)
      commands.push(["HINCRBY", `${this.prefix}usage:refused`, kid, n]);
    const staleKey = `${this.prefix}usage:stale:${hourOf(nowMs)}`;
    for (const [kid, n] of counts.stale ?? []) commands.push(["HINCRBY", staleKey, kid, n]);
    if ((counts.stale?.size ?? 0) > 0) commands.push(["EXPIRE", staleKey, STALE_TTL_SECONDS]);
    const byKey = `${this.prefix}usage:by:${hourOf(nowMs)}`;
    for (const [kid, consumers] of counts.consumers ?? [])
      for (const [consumer, n] of consumers)
        commands.push(["HINCRBY", byKey, consumerField(kid, counts.kind, consumer), n]);
    if ((counts.consumers?.size ?? 0) > 0) commands.push(["EXPIRE", byKey, BUCKET_TTL_SECONDS]);
    if (receipt !== undefined)
      commands.push(...receiptCommands(this.prefix, receipt, this.receiptWindowMs));
    if (commands.length > 0) await this.#rest.pipeline(commands);
  }
}
