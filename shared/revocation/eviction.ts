import type { Redis } from "@upstash/redis";
import { upstashFailure } from "../upstash/settings.ts";

/**
 * Whether the Redis database behind Upstash may evict keys. A database that evicts under memory
 * pressure drops revocations (and refresh families, journal entries) without a word, so keyward
 * wants `noeviction` (Upstash: "Eviction" unchecked, its default).
 * - `off`: the database answered `noeviction`;
 * - `on`: it answered another policy, which it names;
 * - `unknown`: it would not say (a REST API that refuses `CONFIG`, or no answer): check by hand.
 */
export type EvictionCheck =
  | { readonly status: "off" }
  | { readonly status: "on"; readonly policy: string }
  | { readonly status: "unknown"; readonly reason: string };

/** Asks the database for its `maxmemory-policy` in one command; never throws. */
export async function checkEviction(redis: Redis): Promise<EvictionCheck> {
  let answer: unknown;
  try {
    answer = await redis.exec(["CONFIG", "GET", "maxmemory-policy"]);
  } catch (error) {
    return { status: "unknown", reason: upstashFailure(error) };
  }
  const policy = policyIn(answer);
  if (policy === undefined) return { status: "unknown", reason: "unexpected answer" };
  return policy === "noeviction" ? { status: "off" } : { status: "on", policy };
}

/** `CONFIG GET` answers a flat list of name, value pairs (RESP2) or a map (RESP3). */
function policyIn(answer: unknown): string | undefined {
  if (Array.isArray(answer)) {
    const at = answer.indexOf("maxmemory-policy");
    const value = at >= 0 ? answer[at + 1] : undefined;
    return typeof value === "string" ? value : undefined;
  }
  if (answer !== null && typeof answer === "object") {
    const value = (answer as Record<string, unknown>)["maxmemory-policy"];
    return typeof value === "string" ? value : undefined;
  }
  return undefined;
}
