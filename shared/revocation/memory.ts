import type { Clock } from "../kernel/clock.ts";
import { DEFAULT_REDIS_PREFIX } from "../upstash/prefix.ts";
import {
  LOG_RETENTION_MS,
  type LogEntry,
  type LoggedEntry,
  type LogPosition,
  type RevocationLog,
} from "./change-log.ts";
import {
  evaluate,
  expiresAt,
  lookupFor,
  type RevocationStatus,
  type RevocationTarget,
  type RevocationTiming,
  revocationKey,
  type TokenFacts,
} from "./rules.ts";
import { isSpent, type RevocationStore, type RevokeOptions, type RevokeResult } from "./store.ts";

/**
 * Revocations in process memory, for the local stack and unit tests. Same key layout, expiry,
 * evaluation and change log (trimmed by the same retention) as the Upstash adapter; expiry
 * follows the injected clock.
 */
export class MemoryRevocationStore implements RevocationStore, RevocationLog {
  readonly #entries = new Map<string, { value: number; expiresAtSeconds: number }>();
  readonly prefix = DEFAULT_REDIS_PREFIX;
  /** The change log: an entry's id is its sequence number, as text. */
  #log: { atMs: number; entry: LoggedEntry }[] = [];
  #seq = 0;

  constructor(
    private readonly timing: RevocationTiming,
    private readonly clock: Clock,
  ) {}

  async revoke(
    targets: readonly RevocationTarget[],
    nowMs: number,
    options: RevokeOptions = {},
  ): Promise<RevokeResult[]> {
    const now = Math.floor(nowMs / 1000);
    return targets.map((target) => {
      if (isSpent(target, now, this.timing.clockToleranceSeconds)) return { ok: true, noop: true };
      const key = revocationKey(this.prefix, target);
      const previous = this.#entries.get(key);
      const live = this.#read(key) !== undefined;
      const stored = {
        value: Math.max(nowMs, live ? (previous?.value ?? 0) : 0),
        // Never shortened: a cut-off kept for a legacy key stays kept.
        expiresAtSeconds: Math.max(
          expiresAt(target, now, this.timing, options.cutoffsUntil),
          live ? (previous?.expiresAtSeconds ?? 0) : 0,
        ),
      };
      this.#entries.set(key, stored);
      this.#append(key, stored, nowMs);
      return { ok: true, noop: false };
    });
  }

  async check(facts: TokenFacts): Promise<RevocationStatus> {
    const lookup = lookupFor(this.prefix, facts);
    return evaluate(
      lookup,
      lookup.keys.map((key) => this.#read(key) ?? null),
      facts,
    );
  }

  /** Seconds until a rule's entry expires, or undefined if there is none (for tests and status). */
  ttlOf(target: RevocationTarget): number | undefined {
    const entry = this.#entries.get(revocationKey(this.prefix, target));
    return entry === undefined
      ? undefined
      : entry.expiresAtSeconds - Math.floor(this.clock.now() / 1000);
  }

  async since(
    position: LogPosition,
  ): Promise<{ position: LogPosition; head: number; entries: LoggedEntry[] }> {
    const after = Number(position.id);
    const entries = this.#log.filter((item) => item.entry.seq > after).map((item) => item.entry);
    const last = entries.at(-1);
    return {
      position: last === undefined ? position : { id: String(last.seq), seq: last.seq },
      head: this.#seq,
      entries,
    };
  }

  async snapshot(nowMs: number): Promise<{ position: LogPosition; rules: LogEntry[] }> {
    const rules: LogEntry[] = [];
    for (const [key, stored] of this.#entries)
      if (stored.expiresAtSeconds * 1000 > nowMs) rules.push(this.#entryOf(key, stored));
    return { position: { id: String(this.#seq), seq: this.#seq }, rules };
  }

  /** Drops every entry of the change log, as `XTRIM … MAXLEN 0` does (tests of a lost entry). */
  trimLog(): void {
    this.#log = [];
  }

  #append(key: string, stored: { value: number; expiresAtSeconds: number }, nowMs: number): void {
    this.#seq++;
    this.#log.push({ atMs: nowMs, entry: { ...this.#entryOf(key, stored), seq: this.#seq } });
    const keepFrom = nowMs - LOG_RETENTION_MS;
    if ((this.#log[0]?.atMs ?? nowMs) < keepFrom)
      this.#log = this.#log.filter((item) => item.atMs >= keepFrom);
  }

  #entryOf(key: string, stored: { value: number; expiresAtSeconds: number }): LogEntry {
    return { key, value: stored.value, expiresAtMs: stored.expiresAtSeconds * 1000 };
  }

  #read(key: string): number | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtSeconds <= Math.floor(this.clock.now() / 1000)) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }
}
