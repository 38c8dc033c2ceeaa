import { DEFAULT_REDIS_PREFIX } from "../upstash/prefix.ts";
import { choice, named, number, text } from "./setting.ts";

/**
 * The settings every verifier reads (the authorizer, the edge, the issuing endpoint's own checks,
 * the local stack): a group of settings.ts in a file of its own, so that the edge's bundle holds
 * only these.
 */
// biome-ignore format: one line per setting reads as the table it is
export const VERIFICATION_SETTINGS = named({
  // How verifiers verify: the authorizer, the edge, the issuing endpoint's own checks, the local stack.
  redisPrefix: text("KEYWARD_REDIS_PREFIX", DEFAULT_REDIS_PREFIX),
  issuer: text("KEYWARD_ISSUER", undefined),
  audience: text("KEYWARD_AUDIENCE", undefined),
  tokenType: text("KEYWARD_TOKEN_TYPE", undefined),
  tokenHeader: text("KEYWARD_TOKEN_HEADER", "authorization"),
  tokenCookie: text("KEYWARD_TOKEN_COOKIE", undefined),
  clockTolerance: number("seconds", "KEYWARD_CLOCK_TOLERANCE_SECONDS", 5, 0, 300),
  maxTokenLifetime: number("seconds", "KEYWARD_MAX_TOKEN_LIFETIME_SECONDS", 86_400, 60, 30 * 86_400),
  keyringCacheTtl: number("seconds", "KEYWARD_KEYRING_CACHE_TTL_SECONDS", 60, 1, 3600),
  keyringMaxStale: number("seconds", "KEYWARD_KEYRING_MAX_STALE_SECONDS", 900, 0, 86_400),
  unknownKidCooldown: number("seconds", "KEYWARD_UNKNOWN_KID_COOLDOWN_SECONDS", 10, 1, 3600),
  unknownKidWait: number("milliseconds", "KEYWARD_UNKNOWN_KID_WAIT_MS", 1000, 10, 5000),
  revocationBudget: number("milliseconds", "KEYWARD_REVOCATION_BUDGET_MS", 100, 10, 5000),
  failureMode: choice("KEYWARD_REVOCATION_FAILURE_MODE", ["closed", "open"], "closed"),
  revocationMirror: choice("KEYWARD_REVOCATION_MIRROR", ["on", "off"], "on"),
  revocationFreshness: number("milliseconds", "KEYWARD_REVOCATION_FRESHNESS_MS", 900, 100, 990),
  revocationMirrorMaxRules: number("count", "KEYWARD_REVOCATION_MIRROR_MAX_RULES", 200_000, 1, 5_000_000),
  receiptWindow: number("seconds", "KEYWARD_RECEIPT_WINDOW_SECONDS", 300, 120, 3600),
});
