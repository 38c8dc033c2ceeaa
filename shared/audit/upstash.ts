import type { Redis } from "@upstash/redis";
import { StoreUnavailable } from "../revocation/store.ts";
import { createUpstashClient } from "../upstash/client.ts";
import { DEFAULT_REDIS_PREFIX } from "../upstash/prefix.ts";
import { type UpstashSettings, WRITE_BUDGET_MS } from "../upstash/settings.ts";
import {
  type AuditEntry,
  type AuditJournal,
  type AuditPage,
  DEFAULT_AUDIT_CAPACITY,
  type IntendedChange,
  pageLimit,
  type StoredAuditEntry,
  sanitizeEntry,
} from "./journal.ts";

/** Numbers the entry, stores it scored by its number, and drops the oldest beyond the capacity. */
const APPEND_SCRIPT = `
local seq = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], seq, seq .. ' ' .. ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[2]) + 1))
return seq`;

/**
 * The audit journal in Upstash Redis: a sorted set scored by a sequence number, so pages are
 * stable while entries are appended. One request per append and per page. Intended changes are
 * a hash by id.
 */
export class UpstashAuditJournal implements AuditJournal {
  readonly #redis: Redis;
  readonly #seqKey: string;
  readonly #entriesKey: string;
  readonly #intendedKey: string;

  constructor(
    settings: UpstashSettings,
    private readonly capacity = DEFAULT_AUDIT_CAPACITY,
    prefix = DEFAULT_REDIS_PREFIX,
  ) {
    this.#redis = createUpstashClient(settings, WRITE_BUDGET_MS);
    this.#seqKey = `${prefix}audit:seq`;
    this.#entriesKey = `${prefix}audit:entries`;
    this.#intendedKey = `${prefix}audit:intended`;
  }

  async append(entry: AuditEntry): Promise<StoredAuditEntry> {
    const clean = sanitizeEntry(entry);
    const seq = await unavailableOnError(
      this.#redis.eval<string[], number>(
        APPEND_SCRIPT,
        [this.#seqKey, this.#entriesKey],
        [JSON.stringify(clean), String(this.capacity)],
      ),
    );
    return { ...clean, seq: Number(seq) };
  }

  async read(options: { limit?: number; before?: number } = {}): Promise<AuditPage> {
    const limit = pageLimit(options.limit);
    const max: "+inf" | `(${number}` = options.before === undefined ? "+inf" : `(${options.before}`;
    const members = await unavailableOnError(
      this.#redis.zrange<string[]>(this.#entriesKey, max, "-inf", {
        byScore: true,
        rev: true,
        offset: 0,
        count: limit + 1,
      }),
    );
    const entries = members.slice(0, limit).map((member): StoredAuditEntry => {
      const space = member.indexOf(" ");
      return {
        ...(JSON.parse(member.slice(space + 1)) as AuditEntry),
        seq: Number(member.slice(0, space)),
      };
    });
    const last = entries.at(-1);
    return members.length > limit && last !== undefined ? { entries, next: last.seq } : { entries };
  }

  async intend(change: IntendedChange): Promise<void> {
    await unavailableOnError(
      this.#redis.hset(this.#intendedKey, { [change.id]: JSON.stringify(change) }),
    );
  }

  async settle(id: string): Promise<void> {
    await unavailableOnError(this.#redis.hdel(this.#intendedKey, id));
  }

  async unsettled(): Promise<IntendedChange[]> {
    const values: unknown[] = await unavailableOnError(this.#redis.hvals(this.#intendedKey));
    return values
      .map((value) => (typeof value === "string" ? JSON.parse(value) : value) as IntendedChange)
      .sort((a, b) => a.intendedAt - b.intendedAt);
  }
}

async function unavailableOnError<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    throw new StoreUnavailable("audit journal unavailable", { cause: error });
  }
}
