import { checkedRedisPrefix } from "../upstash/prefix.ts";
import { UpstashRest } from "../upstash/rest.ts";
import type { UpstashSettings } from "../upstash/settings.ts";
import {
  CONSUMER_WINDOW_MS,
  type JwksConsumer,
  type JwksConsumerLog,
  parseConsumer,
} from "./jwks-consumer.ts";
import { readIndexed } from "./upstash.ts";

// Under the receipts' keys: the readers' credential may write there and nowhere else.
const consumerKey = (prefix: string, consumer: string) => `${prefix}receipt:jwks:c:${consumer}`;
const indexKey = (prefix: string) => `${prefix}receipt:jwks:index`;

/**
 * JWKS consumers in Upstash: each under `<prefix>receipt:jwks:c:<consumer>`, expiring a day after
 * its last fetch by Redis's clock, listed in `<prefix>receipt:jwks:index` (pruned at each write).
 */
export class UpstashJwksConsumers implements JwksConsumerLog {
  readonly #rest: UpstashRest;
  readonly #prefix: string;

  constructor(settings: UpstashSettings, prefix: string, timeoutMs = 5_000) {
    this.#prefix = checkedRedisPrefix(prefix);
    this.#rest = new UpstashRest(settings, timeoutMs);
  }

  async record(consumer: JwksConsumer): Promise<void> {
    const index = indexKey(this.#prefix);
    await this.#rest.pipeline([
      [
        "SET",
        consumerKey(this.#prefix, consumer.consumer),
        JSON.stringify(consumer),
        "PX",
        CONSUMER_WINDOW_MS,
      ],
      ["ZADD", index, consumer.fetchedAt, consumer.consumer],
      ["ZREMRANGEBYSCORE", index, "-inf", `(${consumer.fetchedAt - CONSUMER_WINDOW_MS}`],
    ]);
  }

  async recent(): Promise<readonly JwksConsumer[]> {
    const consumers = await readIndexed(
      this.#rest,
      indexKey(this.#prefix),
      (consumer) => consumerKey(this.#prefix, consumer),
      parseConsumer,
    );
    return consumers.sort((a, b) => a.consumer.localeCompare(b.consumer));
  }
}
