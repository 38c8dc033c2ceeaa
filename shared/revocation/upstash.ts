import type { Redis } from "@upstash/redis";
import { createUpstashClient } from "../upstash/client.ts";
import { checkedRedisPrefix } from "../upstash/prefix.ts";
import { upstashFailure, WRITE_BUDGET_MS } from "../upstash/settings.ts";
import { changeLogKey, changeLogSeqKey, LOG_RULE_LUA } from "./change-log.ts";
import {
  expiresAt,
  type RevocationStatus,
  type RevocationTarget,
  type RevocationTiming,
  revocationKey,
  SECONDS_ENTRY_BELOW,
  type TokenFacts,
} from "./rules.ts";
import { isSpent, type RevocationStore, type RevokeOptions, type RevokeResult } from "./store.ts";
import { type UpstashCheckOptions, UpstashRevocationCheck } from "./upstash-check.ts";

export interface UpstashRevocationOptions extends UpstashCheckOptions {
  /** Commands per pipelined write request. Default 1,000. */
  readonly batchSize?: number;
}

/**
 * Keeps a revocation only if it is later than what is stored, and its expiry only if later than
 * the stored one (ARGV[2] "0": no expiry). Values are milliseconds; an entry from before that
 * (whole seconds, see `storedInstantMs`) compares as the last millisecond of its second. The rule
 * as stored goes to the change log (KEYS[2], numbered by KEYS[3]) in the same script: verifiers'
 * mirrors read it there.
 */
const REVOKE_SCRIPT = `${LOG_RULE_LUA}
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if current > 0 and current < ${SECONDS_ENTRY_BELOW} then current = (current + 1) * 1000 - 1 end
local value = string.format('%d', math.max(current, tonumber(ARGV[1])))
local ttl = redis.call('TTL', KEYS[1])
local exat = 0
if ARGV[2] == '0' or ttl == -1 then
  redis.call('SET', KEYS[1], value)
else
  local kept = ttl > 0 and (tonumber(redis.call('TIME')[1]) + ttl) or 0
  exat = math.max(tonumber(ARGV[2]), kept)
  redis.call('SET', KEYS[1], value, 'EXAT', exat)
end
return log_rule(KEYS[2], KEYS[3], KEYS[1], value, string.format('%d', exat))`;

/**
 * Revocations in Upstash Redis. A check is `UpstashRevocationCheck`'s one `MGET`; writes are
 * pipelined `EVAL`s through `@upstash/redis`, `batchSize` per request.
 */
export class UpstashRevocationStore implements RevocationStore {
  readonly #checks: UpstashRevocationCheck;
  readonly #writer: Redis;
  readonly #batchSize: number;
  readonly #prefix: string;
  readonly #timing: RevocationTiming;

  constructor(options: UpstashRevocationOptions) {
    this.#batchSize = options.batchSize ?? 1000;
    this.#prefix = checkedRedisPrefix(options.prefix);
    this.#timing = options.timing;
    this.#checks = new UpstashRevocationCheck(options);
    this.#writer = createUpstashClient(options, WRITE_BUDGET_MS);
  }

  check(facts: TokenFacts): Promise<RevocationStatus> {
    return this.#checks.check(facts);
  }

  warmUp(): Promise<void> {
    return this.#checks.warmUp();
  }

  async revoke(
    targets: readonly RevocationTarget[],
    nowMs: number,
    options: RevokeOptions = {},
  ): Promise<RevokeResult[]> {
    const now = Math.floor(nowMs / 1000);
    const results: RevokeResult[] = targets.map(() => ({ ok: true, noop: true }));
    const pending = targets
      .map((target, index) => ({ target, index }))
      .filter(({ target }) => !isSpent(target, now, this.#timing.clockToleranceSeconds));
    for (let start = 0; start < pending.length; start += this.#batchSize) {
      const chunk = pending.slice(start, start + this.#batchSize);
      const pipeline = this.#writer.pipeline();
      for (const { target } of chunk) {
        const key = revocationKey(this.#prefix, target);
        const expiry = expiresAt(target, now, this.#timing, options.cutoffsUntil);
        pipeline.eval(
          REVOKE_SCRIPT,
          [key, changeLogKey(this.#prefix), changeLogSeqKey(this.#prefix)],
          [String(Math.floor(nowMs)), Number.isFinite(expiry) ? String(expiry) : "0"],
        );
      }
      let answers: { error?: string; result?: unknown }[];
      try {
        answers = await pipeline.exec({ keepErrors: true });
      } catch (error) {
        const message = `revocation store unavailable: ${upstashFailure(error)}`;
        for (const { index } of chunk) results[index] = { ok: false, error: message };
        continue;
      }
      chunk.forEach(({ index }, i) => {
        const { error, result } = answers[i] ?? {};
        results[index] = error
          ? { ok: false, error }
          : { ok: true, noop: false, ...(typeof result === "string" ? { logged: result } : {}) };
      });
    }
    return results;
  }

  /** Seconds until a rule's entry expires (-2 when absent), read from Redis itself. */
  async ttlOf(target: RevocationTarget): Promise<number> {
    return this.#writer.ttl(revocationKey(this.#prefix, target));
  }
}
