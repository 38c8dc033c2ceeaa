import { ConfigInvalid } from "../kernel/errors.ts";

/** The prefix of every key keyward writes in Upstash, unless `KEYWARD_REDIS_PREFIX` says otherwise. */
export const DEFAULT_REDIS_PREFIX = "kw:";

/**
 * What a prefix may hold: letters, digits and `: _ . -`, 1 to 64 of them. Nothing a Redis pattern
 * gives a meaning to (`* ? [ ] \`), so a snapshot's `SCAN MATCH <prefix>rv:*` finds every rule.
 */
const PREFIX = /^[A-Za-z0-9:_.-]{1,64}$/;

export const REDIS_PREFIX_RULE = "1 to 64 characters from A-Z a-z 0-9 : _ . -";

/** The problem with `prefix`, named by `setting`; undefined when it is a valid prefix. */
export function redisPrefixProblem(prefix: string, setting: string): string | undefined {
  return PREFIX.test(prefix) ? undefined : `${setting} must be ${REDIS_PREFIX_RULE}`;
}

/** `prefix` (default `kw:`) when valid; a `ConfigInvalid` naming `setting` otherwise. */
export function checkedRedisPrefix(
  prefix: string | undefined,
  setting = "the Redis key prefix",
): string {
  const value = prefix ?? DEFAULT_REDIS_PREFIX;
  const problem = redisPrefixProblem(value, setting);
  if (problem !== undefined) throw new ConfigInvalid([problem]);
  return value;
}

/**
 * `text` as a literal inside a Redis glob pattern. Valid prefixes hold no pattern character: this
 * keeps a pattern right should a key part ever hold one.
 */
export function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
