import { checkedRedisPrefix } from "./prefix.ts";

/**
 * Who holds which Upstash credential (docs/deploying.md, "Upstash"): each is an ACL user of the
 * database with a REST token of its own (`ACL RESTTOKEN`).
 * - `writer`: the rotation function and the ops API: everything under the prefix.
 * - `issuer`: the issuing endpoint and `keyward/issuer` with refresh tokens: reads everything,
 *   writes refresh-token families, a reused family's own rule (`fid=<family>`) and its change-log
 *   entry, usage counts, receipts and the journal; no other rule.
 * - `reader`: the authorizer, the edge, `keyward/sessions`: reads rules and the change log,
 *   counts usage and writes its receipts; writes nothing else.
 * A change-log entry can only add or raise a rule in a mirror, never lower or remove one, so what
 * the issuer may append cannot weaken a revocation.
 */
export type UpstashRole = "writer" | "issuer" | "reader";

export const UPSTASH_ROLES: readonly UpstashRole[] = ["writer", "issuer", "reader"];

/** The commands a reader's requests use: lookups, the mirror's reads, usage counts, receipts. */
const READER_COMMANDS = [
  "get",
  "mget",
  "pttl",
  "ttl",
  "xrange",
  "xrevrange",
  "scan",
  "ping",
  "hincrby",
  "expire",
  "set",
  "zadd",
  "zremrangebyscore",
];

/**
 * The ACL rules of `role`'s user for keys under `prefix`, as `ACL SETUSER <name> on
 * ><password> <rules…>` takes them (the password is the caller's).
 */
export function aclRules(role: UpstashRole, prefix: string): string[] {
  const p = checkedRedisPrefix(prefix);
  switch (role) {
    case "writer":
      // Everything under the prefix but the dangerous commands; CONFIG GET for the eviction check.
      return ["resetkeys", `~${p}*`, "resetchannels", "+@all", "-@dangerous", "+config|get"];
    case "issuer":
      return [
        "resetkeys",
        `%R~${p}*`,
        `%RW~${p}rt:*`,
        `%RW~${p}rf:*`,
        `%RW~${p}rs:*`,
        `%RW~${p}rv:c:3:fid=*`,
        `%RW~${p}rv:log`,
        `%RW~${p}rv:seq`,
        `%RW~${p}usage:*`,
        `%RW~${p}receipt:*`,
        `%RW~${p}audit:*`,
        "resetchannels",
        "-@all",
        "+@read",
        "+@write",
        "+@connection",
        "+eval",
        "+time",
        "-@dangerous",
      ];
    case "reader":
      return [
        "resetkeys",
        `%R~${p}*`,
        `%RW~${p}usage:*`,
        `%RW~${p}receipt:*`,
        "resetchannels",
        "-@all",
        ...READER_COMMANDS.map((command) => `+${command}`),
      ];
  }
}

/** The command that creates or updates `role`'s user, as a list of arguments. */
export function aclSetUser(role: UpstashRole, prefix: string, user: string, password: string) {
  return ["ACL", "SETUSER", user, "reset", "on", `>${password}`, ...aclRules(role, prefix)];
}
