import { DAY, SECOND } from "../clock.ts";
import { ConfigInvalid } from "../errors.ts";
import { SIGNING_ALGORITHMS } from "../keyring/key.ts";
import { DEFAULT_POLICY, type RotationPolicy, resolvePolicy } from "../keyring/policy.ts";
import type { RevocationTiming } from "../revocation/rules.ts";
import { type Environment, EnvReader } from "./env.ts";

/**
 * What the functions that write (the rotation function, the ops API) are configured with. Both
 * read the same names, so the policy the ops API plans with is the one the rotation applies.
 */
export interface WriterConfig {
  readonly secretPrefix: string;
  readonly eventBus: string;
  readonly upstashSecretId: string;
  readonly redisPrefix: string;
  readonly timing: RevocationTiming;
  readonly policy: RotationPolicy;
}

/** Documented in README "Rotation settings". Every problem is reported at once, by variable. */
export function readWriterConfig(env: Environment, read = new EnvReader(env)): WriterConfig {
  const secretPrefix = read.required(
    "KEYWARD_SECRET_PREFIX",
    "the Secrets Manager name prefix of the keyring, e.g. keyward/prod",
  );
  const eventBus = read.required("KEYWARD_EVENT_BUS", "the EventBridge bus keyward publishes to");
  const upstashSecretId = read.required(
    "KEYWARD_UPSTASH_SECRET_ID",
    'a secret holding {"url","token"} for Upstash',
  );
  const policy = readRotationPolicy(read);
  const timing: RevocationTiming = {
    maxTokenLifetimeSeconds: policy.maxTokenLifetimeMs / SECOND,
    clockToleranceSeconds: read.integer("KEYWARD_CLOCK_TOLERANCE_SECONDS", 5, 0, 300),
    // The verifiers' own bounds (same variables): a key rule outlives every cached keyring.
    keyringHoldSeconds:
      policy.keyringCacheTtlMs / SECOND +
      read.integer("KEYWARD_KEYRING_MAX_STALE_SECONDS", 900, 0, 86_400),
    // The issuers' refresh-token families (same variable): cut-offs outlive them.
    refreshLifetimeSeconds: read.integer("KEYWARD_REFRESH_ABSOLUTE_DAYS", 30, 1, 365) * 86_400,
  };
  const redisPrefix = read.string("KEYWARD_REDIS_PREFIX", "kw:") ?? "kw:";
  read.done();
  return { secretPrefix, eventBus, upstashSecretId, redisPrefix, timing, policy };
}

/**
 * The rotation policy from its variables (README, "Rotation settings"), defaults from DESIGN.md.
 * The policy's own rules (grace shorter than a token's lifetime...) become problems of `read`,
 * named by variable, reported with the others at `read.done()`.
 */
export function readRotationPolicy(read: EnvReader): RotationPolicy {
  const days = (name: string, fallback: number, max: number) =>
    read.integer(name, fallback, 0, max) * DAY;
  const overrides: Partial<RotationPolicy> = {
    algorithm: read.oneOf("KEYWARD_ALGORITHM", SIGNING_ALGORITHMS, "HS256"),
    strategy: read.oneOf("KEYWARD_STRATEGY", ["graceful", "rolling"] as const, "graceful"),
    rotationPeriodMs: read.integer("KEYWARD_ROTATION_PERIOD_DAYS", 90, 1, 3650) * DAY,
    keyringCacheTtlMs: read.integer("KEYWARD_KEYRING_CACHE_TTL_SECONDS", 60, 1, 3600) * SECOND,
    maxTokenLifetimeMs:
      read.integer("KEYWARD_MAX_TOKEN_LIFETIME_SECONDS", 86_400, 60, 30 * 86_400) * SECOND,
    minGraceMs: days("KEYWARD_MIN_GRACE_DAYS", 7, 365),
    maxGraceMs: days("KEYWARD_MAX_GRACE_DAYS", 21, 365),
    retireBelowShare: read.integer("KEYWARD_RETIRE_BELOW_PERCENT", 5, 0, 100) / 100,
    retentionMs: days("KEYWARD_RETENTION_DAYS", 7, 365),
  };
  try {
    return resolvePolicy(overrides);
  } catch (error) {
    if (!(error instanceof ConfigInvalid)) throw error;
    for (const problem of error.problems)
      read.problem(problem.replace(/\b[a-zA-Z]+Ms\b/g, (name) => VARIABLE_OF[name] ?? name));
    return DEFAULT_POLICY;
  }
}

/** The policy's own names in its problems, replaced by the variables that set them. */
const VARIABLE_OF: Readonly<Record<string, string>> = {
  rotationPeriodMs: "KEYWARD_ROTATION_PERIOD_DAYS",
  keyringCacheTtlMs: "KEYWARD_KEYRING_CACHE_TTL_SECONDS",
  prePublicationMarginMs: "the pre-publication margin",
  maxTokenLifetimeMs: "KEYWARD_MAX_TOKEN_LIFETIME_SECONDS",
  minGraceMs: "KEYWARD_MIN_GRACE_DAYS",
  maxGraceMs: "KEYWARD_MAX_GRACE_DAYS",
  retentionMs: "KEYWARD_RETENTION_DAYS",
};
