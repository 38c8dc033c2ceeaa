import { UpstashRest } from "../upstash/rest.ts";
import type { UpstashSettings } from "../upstash/settings.ts";
import { changeLogKey, type LogEntry, type RevocationLog } from "./change-log.ts";

/** Entries read per `XRANGE`; a longer backlog takes more round trips (a burst of revocations). */
const PAGE = 1000;
/** Keys per snapshot request: one `MGET` and a `PTTL` each, pipelined. */
const SNAPSHOT_CHUNK = 500;

/**
 * The change log in Upstash, for a verifier's mirror, over the same small REST client as the
 * revocation check: `since` is one `XRANGE` (more only past 1,000 new entries); `snapshot` takes
 * the log's last id, then `SCAN`s the rules and reads their values and expiries.
 */
export class UpstashRevocationLog implements RevocationLog {
  readonly #rest: UpstashRest;
  readonly #log: string;

  constructor(
    settings: UpstashSettings,
    readonly prefix: string,
    timeoutMs: number,
  ) {
    this.#rest = new UpstashRest(settings, timeoutMs);
    this.#log = changeLogKey(prefix);
  }

  async since(position: string): Promise<{ position: string; entries: LogEntry[] }> {
    const entries: LogEntry[] = [];
    let after = position;
    for (;;) {
      const page = await this.#rest.command<[string, string[]][]>([
        "XRANGE",
        this.#log,
        `(${after}`,
        "+",
        "COUNT",
        PAGE,
      ]);
      if (!Array.isArray(page)) throw new Error("XRANGE answered with something other than a list");
      for (const [id, fields] of page) {
        entries.push(entryOf(fields));
        after = id;
      }
      if (page.length < PAGE) return { position: after, entries };
    }
  }

  async snapshot(nowMs: number): Promise<{ position: string; rules: LogEntry[] }> {
    const last = await this.#rest.command<[string, string[]][]>([
      "XREVRANGE",
      this.#log,
      "+",
      "-",
      "COUNT",
      1,
    ]);
    const position = last?.[0]?.[0] ?? "0-0";
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, found] = await this.#rest.command<[string, string[]]>([
        "SCAN",
        cursor,
        "MATCH",
        `${this.prefix}rv:*`,
        "COUNT",
        1000,
      ]);
      for (const key of found) if (key !== this.#log) keys.push(key);
      cursor = next;
    } while (cursor !== "0");
    const rules: LogEntry[] = [];
    for (let start = 0; start < keys.length; start += SNAPSHOT_CHUNK) {
      const chunk = [...new Set(keys.slice(start, start + SNAPSHOT_CHUNK))];
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
}

/** A log entry's fields (`k`, `v`, `x`) as written by `log_rule`. */
function entryOf(fields: readonly string[]): LogEntry {
  const named = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2)
    named.set(fields[i] as string, fields[i + 1] as string);
  const field = (name: string) => named.get(name);
  const exat = Number(field("x"));
  return {
    key: field("k") ?? "",
    // A value that is not a number stays NaN: the evaluation refuses on it (deny on doubt).
    value: Number(field("v")),
    expiresAtMs: exat > 0 ? exat * 1000 : Number.POSITIVE_INFINITY,
  };
}
