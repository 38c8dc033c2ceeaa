import { checkedRedisPrefix, globLiteral } from "../upstash/prefix.ts";
import { UpstashRequestFailed, UpstashRest } from "../upstash/rest.ts";
import type { UpstashSettings } from "../upstash/settings.ts";
import {
  changeLogKey,
  changeLogSeqKey,
  type LogEntry,
  type LoggedEntry,
  type LogPosition,
  type RevocationLog,
} from "./change-log.ts";

/** Entries read per `XRANGE`; a longer backlog takes more round trips (a burst of revocations). */
const PAGE = 1000;
/** Keys per snapshot request: one `MGET` and a `PTTL` each, pipelined. */
const SNAPSHOT_CHUNK = 500;

type StreamEntry = [string, string[]];

/**
 * The change log in Upstash, for a verifier's mirror, over the same small REST client as the
 * revocation check: `since` is one `XRANGE` from the last entry applied (more only past 1,000 new
 * entries, and one `GET` of the counter when that entry is gone); `snapshot` takes the counter and
 * the log's last entry, then `SCAN`s the rules and reads their values and expiries.
 */
export class UpstashRevocationLog implements RevocationLog {
  readonly #rest: UpstashRest;
  readonly #log: string;
  readonly #seq: string;
  readonly prefix: string;

  constructor(settings: UpstashSettings, prefix: string, timeoutMs: number) {
    this.prefix = checkedRedisPrefix(prefix);
    this.#rest = new UpstashRest(settings, timeoutMs);
    this.#log = changeLogKey(this.prefix);
    this.#seq = changeLogSeqKey(this.prefix);
  }

  async since(position: LogPosition): Promise<{
    position: LogPosition;
    head: number;
    entries: LoggedEntry[];
  }> {
    // From the last entry applied, inclusive: while it is still in the stream nothing after it
    // can have been trimmed (streams are trimmed from their start), and one XRANGE is the refresh.
    const anchored = position.id !== "0-0";
    let page = streamEntries(
      await this.#rest.command(this.#range(anchored ? position.id : "-", anchored)),
    );
    let more = page.length === PAGE;
    const found = anchored && page[0]?.[0] === position.id;
    if (found) page = page.slice(1);
    const entries: LoggedEntry[] = [];
    let last = position;
    for (;;) {
      for (const [id, fields] of page) {
        const entry = entryOf(fields, id);
        entries.push(entry);
        last = { id, seq: entry.seq };
      }
      if (!more) break;
      page = streamEntries(await this.#rest.command(this.#range(last.id, false)));
      more = page.length === PAGE;
    }
    // Its anchor gone (trimmed, evicted, never there): the counter says whether entries were lost.
    const head = found
      ? last.seq
      : Number((await this.#rest.command<string | null>(["GET", this.#seq])) ?? 0);
    return { position: last, head, entries };
  }

  async snapshot(nowMs: number): Promise<{ position: LogPosition; rules: LogEntry[] }> {
    const [counted, lastEntries] = await this.#rest.pipeline([
      ["GET", this.#seq],
      ["XREVRANGE", this.#log, "+", "-", "COUNT", 1],
    ]);
    const [last] = streamEntries(lastEntries);
    // Rules written after these two reads are applied again by the next delta: harmless, as a
    // later entry of a key replaces an earlier one and writers only ever raise a rule's instant.
    const position: LogPosition =
      last === undefined
        ? { id: "0-0", seq: Number(counted ?? 0) }
        : { id: last[0], seq: entryOf(last[1]).seq };
    const keys = new Set<string>();
    let cursor = "0";
    do {
      const [next, found] = await this.#rest.command<[string, string[]]>([
        "SCAN",
        cursor,
        "MATCH",
        `${globLiteral(this.prefix)}rv:*`,
        "COUNT",
        1000,
      ]);
      for (const key of found) if (key !== this.#log && key !== this.#seq) keys.add(key);
      cursor = next;
    } while (cursor !== "0");
    const all = [...keys];
    const rules: LogEntry[] = [];
    for (let start = 0; start < all.length; start += SNAPSHOT_CHUNK) {
      const chunk = all.slice(start, start + SNAPSHOT_CHUNK);
      const [values, ...ttls] = await this.#rest.pipeline([
        ["MGET", ...chunk],
        ...chunk.map((key) => ["PTTL", key]),
      ]);
      chunk.forEach((key, i) => {
        const value = (values as (string | null)[])[i];
        const ttl = Number(ttls[i]);
        if (value === null || value === undefined || ttl === -2) return;
        rules.push({
          key,
          value: Number(value),
          expiresAtMs: ttl === -1 ? Number.POSITIVE_INFINITY : nowMs + ttl,
        });
      });
    }
    return { position, rules };
  }

  /** Up to `PAGE` entries from `id` (`inclusive`, or after it). */
  #range(id: string, inclusive: boolean): (string | number)[] {
    return ["XRANGE", this.#log, inclusive || id === "-" ? id : `(${id}`, "+", "COUNT", PAGE];
  }
}

function streamEntries(answer: unknown): StreamEntry[] {
  if (!Array.isArray(answer))
    throw new UpstashRequestFailed("the change log answered with something other than a list");
  return answer as StreamEntry[];
}

/** A log entry's fields (`n`, `k`, `v`, `x`) as written by `log_rule`; its id `<ms>-<n>`, Redis's time. */
function entryOf(fields: readonly string[], id?: string): LoggedEntry {
  const named = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2)
    named.set(fields[i] as string, fields[i + 1] as string);
  const exat = Number(named.get("x"));
  return {
    // An entry without a number (written before they existed) is NaN: a gap, so a snapshot.
    seq: Number(named.get("n") ?? Number.NaN),
    key: named.get("k") ?? "",
    // A value that is not a number stays NaN: the evaluation refuses on it (deny on doubt).
    value: Number(named.get("v")),
    expiresAtMs: exat > 0 ? exat * 1000 : Number.POSITIVE_INFINITY,
    ...(id === undefined ? {} : { loggedAtMs: Number.parseInt(id, 10) }),
  };
}
