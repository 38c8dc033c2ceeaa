import { MINUTE } from "../clock.ts";

/**
 * The revocation change log: every rule a writer stores is also appended, in the same script, to
 * one Redis stream (`<prefix>rv:log`), each entry the rule's key, its stored value and its expiry.
 * Verifiers keep a mirror of the rules (`mirror.ts`) and bring it up to date by reading the entries
 * after the last one they saw: one `XRANGE` per refresh, however many rules exist.
 */
export function changeLogKey(prefix: string): string {
  return `${prefix}rv:log`;
}

/**
 * Writers trim entries older than this (`XADD … MINID`). A verifier whose last refresh is older
 * than this less `RELOAD_MARGIN_MS` may have missed trimmed entries: it reloads a snapshot.
 */
export const LOG_RETENTION_MS = 10 * MINUTE;
export const RELOAD_MARGIN_MS = 5 * MINUTE;

/**
 * The Lua that appends a stored rule to the log: `log_rule(logKey, ruleKey, value, exat, minid)`,
 * with `exat` the entry's expiry in seconds (0: none) and `minid` the oldest id to keep. Scripts
 * that write rules include it, so a rule and its log entry are written together or not at all.
 */
export const LOG_RULE_LUA = `
local function log_rule(log, key, value, exat, minid)
  redis.call('XADD', log, 'MINID', minid, '*', 'k', key, 'v', tostring(value), 'x', tostring(exat))
end`;

/** The `minid` argument of `log_rule` at `nowMs`: entries older than the retention go. */
export function logMinId(nowMs: number): string {
  return `${Math.max(0, Math.floor(nowMs) - LOG_RETENTION_MS)}-0`;
}

/** One rule as the log (or a snapshot) gives it. */
export interface LogEntry {
  readonly key: string;
  /** The stored value: the rule's instant, in milliseconds (or whole seconds, from before). */
  readonly value: number;
  /** When the rule's entry expires, in milliseconds; `Infinity`: never. */
  readonly expiresAtMs: number;
}

/** Where a mirror reads the rules: the log's entries after a position, or everything at once. */
export interface RevocationLog {
  /** The prefix of the rules' keys, which the mirror looks them up by. */
  readonly prefix: string;
  /** The entries after `position` (exclusive), oldest first, with the new position: one round trip. */
  since(
    position: string,
  ): Promise<{ readonly position: string; readonly entries: readonly LogEntry[] }>;
  /** Every live rule, and the log position they are current to (taken before reading them). */
  snapshot(
    nowMs: number,
  ): Promise<{ readonly position: string; readonly rules: readonly LogEntry[] }>;
}
