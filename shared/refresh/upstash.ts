import type { Redis } from "@upstash/redis";
import { ConfigInvalid, StoreUnavailable, wholeNumberProblems } from "../kernel/errors.ts";
import { changeLogKey, changeLogSeqKey, LOG_RULE_LUA } from "../revocation/change-log.ts";
import { lookupFor, revocationKey } from "../revocation/rules.ts";
import { createUpstashClient } from "../upstash/client.ts";
import { DEFAULT_REDIS_PREFIX, redisPrefixProblem } from "../upstash/prefix.ts";
import {
  type UpstashSettings,
  upstashFailure,
  upstashProblems,
  WRITE_BUDGET_MS,
} from "../upstash/settings.ts";
import {
  EXPIRED_FAMILY_KEPT_MS,
  type Family,
  type FamilyGrant,
  type NewFamily,
  type RefreshSettings,
  type RefreshStore,
  type RotateOutcome,
} from "./store.ts";

export interface UpstashRefreshOptions extends UpstashSettings {
  /** Prefix of every key, the revocation rules' included (checked). Default `kw:`. */
  readonly prefix?: string;
  /** Each call answers within this many milliseconds or fails as `StoreUnavailable`. Default 2,000. */
  readonly budgetMs?: number;
}

/**
 * KEYS[1] the token, KEYS[2] the family, KEYS[3] the subject's index. ARGV: family id, now,
 * idle expiry, absolute expiry, when the family's keys go, when the token's goes (ms), then the
 * family's fields as name/value pairs.
 */
const CREATE_SCRIPT = `
redis.call('HSET', KEYS[1], 'f', ARGV[1], 's', 'live', 'i', ARGV[2], 'ie', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[6])
local fields = {}
for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[2], unpack(fields))
redis.call('PEXPIREAT', KEYS[2], ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
local ttl = redis.call('PTTL', KEYS[3])
if ttl >= 0 and ttl < tonumber(ARGV[5]) - tonumber(ARGV[2]) or ttl == -1 then
  redis.call('PEXPIREAT', KEYS[3], ARGV[5])
end
return 1`;

/**
 * One refresh, atomically. KEYS[1] the presented token. ARGV: [1] now, [2] grace, [3] the
 * successor's digest, [4] idle lifetime, [5] key prefix, [6] the family claim rule's key without
 * the family id, [7] that rule's expiry (seconds), [8] the token's own digest (the successor's
 * parent), [9] the caller's client ("*": the library, any family), [10] the revocation change log,
 * [11] its counter (a reuse's rule goes to the log too). The family's revocation rules (cut-offs
 * of its subject, claims, all) are read by the keys stored with it: a rule refuses tokens issued
 * at or before its instant (values in whole seconds, from before millisecond cut-offs, mean the
 * last millisecond of that second). A used token presented again within the grace, while its
 * successor is still the family's live token, gets that successor however often it comes.
 */
const ROTATE_SCRIPT = `${LOG_RULE_LUA}
local link = redis.call('HMGET', KEYS[1], 'f', 's', 'i', 'ie', 'n', 'u')
if not link[1] then return {'refresh_token_unknown'} end
local now = tonumber(ARGV[1])
local fkey = ARGV[5] .. 'rf:' .. link[1]
local fam = redis.call('HMGET', fkey, 'sub', 'claims', 'aud', 'life', 'abs', 'rules', 'revoked', 'client', 'head')
if not fam[1] then return {'refresh_token_unknown'} end
if ARGV[9] ~= '*' and (fam[8] or '') ~= ARGV[9] then return {'refresh_token_unknown'} end
local grant = {link[1], fam[1], fam[2], fam[3] or '', fam[4], fam[8] or ''}
if fam[7] then return {'refresh_token_revoked', link[1], fam[1]} end
if now >= tonumber(fam[5]) then return {'refresh_token_expired', link[1], fam[1]} end
local issued = tonumber(link[3])
for _, key in ipairs(cjson.decode(fam[6])) do
  local raw = redis.call('GET', key)
  if raw then
    local at = tonumber(raw)
    if at and at < 1e11 then at = (at + 1) * 1000 - 1 end
    if not at or issued <= at then return {'refresh_token_revoked', link[1], fam[1]} end
  end
end
if link[2] == 'live' then
  if now >= tonumber(link[4]) then return {'refresh_token_idle_expired', link[1], fam[1]} end
  redis.call('HSET', KEYS[1], 's', 'used', 'u', ARGV[1], 'n', ARGV[3])
  local next = ARGV[5] .. 'rt:' .. ARGV[3]
  local idle = math.min(now + tonumber(ARGV[4]), tonumber(fam[5]))
  redis.call('HSET', next, 'f', link[1], 'p', ARGV[8], 's', 'live', 'i', ARGV[1], 'ie', string.format('%d', idle))
  redis.call('PEXPIREAT', next, string.format('%d', idle + ${EXPIRED_FAMILY_KEPT_MS}))
  redis.call('HSET', fkey, 'used', ARGV[1], 'head', ARGV[3])
  return {'rotated', unpack(grant)}
end
if link[5] == ARGV[3] and fam[9] == ARGV[3] and now - tonumber(link[6]) <= tonumber(ARGV[2]) then
  return {'retried', unpack(grant)}
end
redis.call('HSET', fkey, 'revoked', 'reused')
local rule = ARGV[6] .. link[1]
local current = tonumber(redis.call('GET', rule) or '0') or 0
local value = string.format('%d', math.max(current, now))
redis.call('SET', rule, value, 'EXAT', ARGV[7])
log_rule(ARGV[10], ARGV[11], rule, value, ARGV[7])
return {'refresh_token_reused', link[1], fam[1]}`;

/** KEYS[1] the subject's index. ARGV: now, key prefix. Live families' fields, flat. */
const FAMILIES_SCRIPT = `
local out = {}
for _, fid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')) do
  local f = redis.call('HMGET', ARGV[2] .. 'rf:' .. fid, 'created', 'used', 'abs', 'client', 'ua', 'revoked')
  if f[1] and not f[6] then
    out[#out + 1] = fid
    for i = 1, 5 do out[#out + 1] = f[i] or '' end
  end
end
return out`;

/**
 * Refresh-token families in Upstash Redis, each operation one `EVAL` (one HTTP request; the local
 * REST server has no MULTI). Keys, all expiring with their family:
 * `rt:<digest>` a token (family, parent's digest, live/used, issued, idle expiry, successor's
 * digest, used at), kept a day past its idle expiry (after that nobody can use it, and a replay is just
 * unknown; before, a replay of a used one revokes the family), `rf:<family>` the family (subject, claims, audience, lifetime, client, user agent,
 * created, last used, absolute expiry, its revocation rules' keys, revoked, live token's digest),
 * `rs:<sub>` the subject's families by expiry.
 */
export class UpstashRefreshStore implements RefreshStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #budgetMs: number;

  constructor(options: UpstashRefreshOptions) {
    const problems = upstashProblems(options, "UpstashRefreshStore options");
    problems.push(...wholeNumberProblems({ budgetMs: options?.budgetMs }, 1));
    const prefixProblem = redisPrefixProblem(options?.prefix ?? DEFAULT_REDIS_PREFIX, "prefix");
    if (prefixProblem !== undefined) problems.push(prefixProblem);
    if (problems.length > 0) throw new ConfigInvalid(problems);
    this.#prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    this.#budgetMs = options.budgetMs ?? WRITE_BUDGET_MS;
    this.#redis = createUpstashClient(options, this.#budgetMs);
  }

  async create(
    family: NewFamily,
    digest: string,
    nowMs: number,
    settings: RefreshSettings,
  ): Promise<void> {
    const absolute = nowMs + settings.absoluteMs;
    const idle = Math.min(nowMs + settings.idleMs, absolute);
    // A family ends with any cut-off that would refuse its access tokens: the same keys.
    const rules = lookupFor(this.#prefix, family.facts).keys;
    const fields: string[] = [
      ["sub", family.sub],
      ["claims", JSON.stringify(family.claims)],
      ["life", String(family.lifetimeSeconds)],
      ["created", String(nowMs)],
      ["used", String(nowMs)],
      ["abs", String(absolute)],
      ["rules", JSON.stringify(rules)],
      ["head", digest],
      ...(family.audience === undefined ? [] : [["aud", family.audience]]),
      ...(family.client === undefined ? [] : [["client", family.client]]),
      ...(family.userAgent === undefined ? [] : [["ua", family.userAgent]]),
    ].flat();
    await this.#call(
      CREATE_SCRIPT,
      [this.#tokenKey(digest), this.#familyKey(family.familyId), this.#subjectKey(family.sub)],
      [
        family.familyId,
        String(nowMs),
        String(idle),
        String(absolute),
        String(absolute + EXPIRED_FAMILY_KEPT_MS),
        String(idle + EXPIRED_FAMILY_KEPT_MS),
        ...fields,
      ],
    );
  }

  async rotate(
    digest: string,
    successorDigest: string,
    nowMs: number,
    settings: RefreshSettings,
    client?: string,
  ): Promise<RotateOutcome> {
    const ruleKey = revocationKey(this.#prefix, { kind: "claim", name: "fid", value: "" });
    const answer = await this.#call(
      ROTATE_SCRIPT,
      [this.#tokenKey(digest)],
      [
        String(nowMs),
        String(settings.graceMs),
        successorDigest,
        String(settings.idleMs),
        this.#prefix,
        ruleKey,
        String(settings.accessRuleExpiry(nowMs)),
        digest,
        // "*" (never a client's name: names are letters, digits, _ . @ -) is the library: any family.
        client ?? "*",
        changeLogKey(this.#prefix),
        changeLogSeqKey(this.#prefix),
      ],
    );
    if (!Array.isArray(answer) || typeof answer[0] !== "string")
      throw new StoreUnavailable("refresh store answered with something unexpected");
    const [kind, familyId, sub, claims, audience, life, issuedTo] = answer as string[];
    if (kind === "rotated" || kind === "retried") {
      const grant: FamilyGrant = {
        familyId: familyId as string,
        sub: sub as string,
        claims: JSON.parse(claims as string) as Record<string, unknown>,
        lifetimeSeconds: Number(life),
        ...(audience ? { audience } : {}),
        ...(issuedTo ? { client: issuedTo } : {}),
      };
      return { kind, grant };
    }
    const reason = kind as Extract<RotateOutcome, { kind: "refused" }>["reason"];
    return {
      kind: "refused",
      reason,
      ...(familyId === undefined ? {} : { familyId }),
      ...(sub === undefined ? {} : { sub }),
    };
  }

  async families(sub: string, nowMs: number): Promise<Family[]> {
    const flat = (await this.#call(
      FAMILIES_SCRIPT,
      [this.#subjectKey(sub)],
      [String(nowMs), this.#prefix],
    )) as string[];
    const families: Family[] = [];
    for (let i = 0; i + 5 < flat.length; i += 6) {
      const [familyId, created, used, abs, client, userAgent] = flat.slice(i, i + 6) as string[];
      families.push({
        familyId: familyId as string,
        createdAt: new Date(Number(created)).toISOString(),
        lastUsedAt: new Date(Number(used)).toISOString(),
        expiresAt: new Date(Number(abs)).toISOString(),
        ...(client ? { client } : {}),
        ...(userAgent ? { userAgent } : {}),
      });
    }
    return families.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Bytes Redis holds for a family's keys (`MEMORY USAGE`), for the documentation's figure. */
  async bytesOf(familyId: string, sub: string, digests: readonly string[]): Promise<number> {
    const keys = [
      this.#familyKey(familyId),
      this.#subjectKey(sub),
      ...digests.map((d) => this.#tokenKey(d)),
    ];
    let total = 0;
    for (const key of keys)
      total += Number(
        (await this.#redis.eval("return redis.call('MEMORY', 'USAGE', KEYS[1]) or 0", [key], [])) ??
          0,
      );
    return total;
  }

  #tokenKey(digest: string) {
    return `${this.#prefix}rt:${digest}`;
  }
  #familyKey(familyId: string) {
    return `${this.#prefix}rf:${familyId}`;
  }
  #subjectKey(sub: string) {
    return `${this.#prefix}rs:${sub.length}:${sub}`;
  }

  async #call(script: string, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.#redis.eval(script, keys, args);
    } catch (error) {
      throw new StoreUnavailable(`refresh store unavailable: ${upstashFailure(error)}`, {
        cause: error,
      });
    }
  }
}
