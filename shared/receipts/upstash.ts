import { checkedRedisPrefix } from "../upstash/prefix.ts";
import { type UpstashArgument, UpstashRest } from "../upstash/rest.ts";
import type { UpstashSettings } from "../upstash/settings.ts";
import { DEFAULT_RECEIPT_WINDOW_MS, parseReceipt, type Receipt } from "./receipt.ts";
import { ordered, type ReceiptReader } from "./store.ts";

/** Receipts read per request. */
const CHUNK = 500;

const receiptKey = (prefix: string, instance: string) => `${prefix}receipt:i:${instance}`;
const indexKey = (prefix: string) => `${prefix}receipt:index`;

/**
 * The commands that store a receipt, sent in the pipeline of the usage flush they ride with (no
 * round trip of their own): the receipt under `<prefix>receipt:i:<instance>`, expiring after the
 * window by Redis's clock (a frozen container or an evicted isolate drops out by itself), and the
 * instance in the index `<prefix>receipt:index`, from which instances gone quiet are pruned.
 */
export function receiptCommands(
  prefix: string,
  receipt: Receipt,
  windowMs = DEFAULT_RECEIPT_WINDOW_MS,
): UpstashArgument[][] {
  const index = indexKey(prefix);
  return [
    ["SET", receiptKey(prefix, receipt.instance), JSON.stringify(receipt), "PX", windowMs],
    ["ZADD", index, receipt.at, receipt.instance],
    ["ZREMRANGEBYSCORE", index, "-inf", `(${receipt.at - windowMs}`],
  ];
}

/** The live receipts in Upstash: the index, then the receipts that have not expired. */
export class UpstashReceipts implements ReceiptReader {
  readonly #rest: UpstashRest;
  readonly #prefix: string;

  constructor(settings: UpstashSettings, prefix: string, timeoutMs = 5_000) {
    this.#prefix = checkedRedisPrefix(prefix);
    this.#rest = new UpstashRest(settings, timeoutMs);
  }

  async live(): Promise<readonly Receipt[]> {
    return ordered(
      await readIndexed(
        this.#rest,
        indexKey(this.#prefix),
        (instance) => receiptKey(this.#prefix, instance),
        parseReceipt,
      ),
    );
  }
}

/**
 * The values an index (a sorted set of names) lists, read `CHUNK` at a time, each parsed; a
 * value expired since the index was pruned, or one that does not parse, is left out.
 */
export async function readIndexed<T>(
  rest: UpstashRest,
  index: string,
  keyOf: (name: string) => string,
  parse: (text: string) => T | undefined,
): Promise<T[]> {
  const names = await rest.command<string[]>(["ZRANGE", index, 0, -1]);
  const found: T[] = [];
  for (let start = 0; start < names.length; start += CHUNK) {
    const values = await rest.command<(string | null)[]>([
      "MGET",
      ...names.slice(start, start + CHUNK).map(keyOf),
    ]);
    for (const value of values) {
      const parsed = typeof value === "string" ? parse(value) : undefined;
      if (parsed !== undefined) found.push(parsed);
    }
  }
  return found;
}
