import { MINUTE } from "../kernel/clock.ts";

/**
 * The revocation change log: every rule a writer stores is also appended, in the same script, to
 * one Redis stream (`<prefix>rv:log`), each entry the rule's key, its stored value, its expiry and
 * a sequence number taken from one counter (`<prefix>rv:seq`) in that script. Verifiers keep a
 * mirror of the rules (`mirror.ts`) and bring it up to date by reading the entries after the last
 * one they applied: one round trip per refresh, however many rules exist. The sequence numbers
 * make a loss visible: an entry trimmed, evicted or never read leaves a gap, and a mirror that
 * sees one starts again from a snapshot instead of deciding without that rule.
 */
export function changeLogKey(prefix: string): string {
  return `${prefix}rv:log`;
}

/** The counter whose next value numbers the next entry of the log. */
export function changeLogSeqKey(prefix: string): string {
  return `${prefix}rv:seq`;
}

/**
 * Writers trim entries older than this, by Redis's own clock (a writer whose clock runs ahead
 * must not trim the entry it just wrote). A verifier whose last refresh is older than this less
 * `RELOAD_MARGIN_MS` reloads a snapshot rather than trust what is left of the log.
 */
export const LOG_RETENTION_MS = 10 * MINUTE;
export const RELOAD_MARGIN_MS = 5 * MINUTE;

/**
 * The Lua that appends a stored rule to the log: `log_rule(logKey, seqKey, ruleKey, value, exat)`,
 * with `exat` the entry's expiry in seconds (0: none). Scripts that write rules include it, so a
 * rule, its number and its log entry are written together or not at all. The stream's ids and
 * its trimming both follow Redis's clock.
 */
export const LOG_RULE_LUA = `
local function log_rule(log, seq, key, value, exat)
  local t = redis.call('TIME')
  local minid = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - ${LOG_RETENTION_MS}
  local n = redis.call('INCR', seq)
  return redis.call('XADD', log, 'MINID', string.format('%d-0', math.max(0, minid)), '*',
    'n', tostring(n), 'k', key, 'v', tostring(value), 'x', tostring(exat))
end`;

/** One rule as the log (or a snapshot) gives it. */
export interface LogEntry {
  readonly key: string;
  /** The stored value: the rule's instant, in milliseconds (or whole seconds, from before). */
  readonly value: number;
  /** When the rule's entry expires, in milliseconds; `Infinity`: never. */
  readonly expiresAtMs: number;
}

/** An entry of the log, with its sequence number (`NaN` for an entry written without one). */
export interface LoggedEntry extends LogEntry {
  readonly seq: number;
  /** When the log took it, on Redis's clock (the time in its stream id); unknown in memory. */
  readonly loggedAtMs?: number;
}

/** Where a mirror stands in the log: the last entry it applied, by stream id and by number. */
export interface LogPosition {
  readonly id: string;
  readonly seq: number;
}

/** Where a mirror reads the rules: the log's entries after a position, or everything at once. */
export interface RevocationLog {
  /** The prefix of the rules' keys, which the mirror looks them up by. */
  readonly prefix: string;
  /**
   * The entries after `position` (exclusive), oldest first, and `head`: the counter as it stood
   * before they were read, so every number up to it must be among them (else some were lost).
   * One round trip.
   */
  since(position: LogPosition): Promise<{
    readonly position: LogPosition;
    readonly head: number;
    readonly entries: readonly LoggedEntry[];
  }>;
  /** Every live rule, and the log position they are current to (taken before reading them). */
  snapshot(
    nowMs: number,
  ): Promise<{ readonly position: LogPosition; readonly rules: readonly LogEntry[] }>;
}

/**
 * Whether a delta read misses entries: its numbers must follow `from` one by one, at least up to
 * the head counted before the read. A counter that went back (evicted, reset) is a loss too.
 */
export function missesEntries(
  from: LogPosition,
  delta: { readonly head: number; readonly entries: readonly LoggedEntry[] },
): boolean {
  let expected = from.seq + 1;
  for (const entry of delta.entries) {
    if (entry.seq !== expected) return true;
    expected++;
  }
  return delta.head < from.seq || expected - 1 < delta.head;
}
