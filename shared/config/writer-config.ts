import { DAY, SECOND } from "../kernel/clock.ts";
import { ConfigInvalid } from "../kernel/errors.ts";
import { SIGNING_ALGORITHMS } from "../keyring/key.ts";
import type { KeyringName } from "../keyring/names.ts";
import {
  DEFAULT_POLICY,
  type RotationPolicy,
  resolvePolicy,
  SESSIONS_POLICY_DEFAULTS,
} from "../keyring/policy.ts";
import type { RevocationTiming } from "../revocation/rules.ts";
import { type Environment, EnvReader } from "./env.ts";
import { readRedisPrefix } from "./verifier-config.ts";

/**
 * What the functions that write (the rotation function, the ops API) are configured with. Both
 * read the same names, so the policy the ops API plans with is the one the rotation applies.
 */
export interface WriterConfig {
  /** The deployment's prefix: the signing keyring's, and the others' beside it (`keyringSecretPrefix`). */
  readonly secretPrefix: string;
  readonly eventBus: string;
  readonly upstashSecretId: string;
  readonly redisPrefix: string;
  readonly timing: RevocationTiming;
  /** The signing keyring's policy. */
  readonly policy: RotationPolicy;
  /** Each keyring's policy (`KEYWARD_*` for signing, `KEYWARD_SESSIONS_*` for sessions). */
  readonly policies: Readonly<Record<KeyringName, RotationPolicy>>;
  /** The deployment owning the keyrings' secrets (`KEYWARD_OWNER`): tagged, and alone deleted. */
  readonly owner?: string;
  /** Regions the keyrings' secrets are replicated to (`KEYWARD_REPLICA_REGIONS`, comma-separated). */
  readonly replicaRegions: readonly string[];
  /** The customer-managed KMS key of the keyrings' secrets (`KEYWARD_KMS_KEY_ID`). */
  readonly kmsKeyId?: string;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

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
  const policies = { signing: policy, sessions: readRotationPolicy(read, "sessions") };
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
  const redisPrefix = readRedisPrefix(read);
  const owner = read.string("KEYWARD_OWNER");
  const replicaRegions = (read.string("KEYWARD_REPLICA_REGIONS") ?? "")
    .split(",")
    .map((region) => region.trim())
    .filter((region) => region !== "");
  if (replicaRegions.some((region) => !REGION.test(region)))
    read.problem("KEYWARD_REPLICA_REGIONS must be AWS region names, comma-separated");
  const kmsKeyId = read.string("KEYWARD_KMS_KEY_ID");
  read.done();
  return {
    secretPrefix,
    eventBus,
    upstashSecretId,
    redisPrefix,
    timing,
    policy,
    policies,
    ...(owner === undefined ? {} : { owner }),
    replicaRegions,
    ...(kmsKeyId === undefined ? {} : { kmsKeyId }),
  };
}

/**
 * A keyring's rotation policy from its variables (README, "Rotation settings"), defaults from
 * DESIGN.md: `KEYWARD_*` for the signing keyring; `KEYWARD_SESSIONS_*` for the sessions keyring,
 * whose keys are always A256GCM, rotate every 30 days by default, and whose maximum lifetime is a
 * session's (`KEYWARD_SESSIONS_MAX_LIFETIME_SECONDS`, default 7 days). The keyring cache TTL and
 * the pre-publication margin are the same for both. The policy's own rules (grace shorter than a lifetime...) become problems of
 * `read`, named by variable, reported with the others at `read.done()`.
 */
export function readRotationPolicy(
  read: EnvReader,
  keyring: KeyringName = "signing",
): RotationPolicy {
  const days = (name: string, fallback: number, max: number) =>
    read.integer(name, fallback, 0, max) * DAY;
  const names = variablesOf(keyring);
  const sessions = keyring === "sessions";
  const overrides: Partial<RotationPolicy> = {
    algorithm: sessions
      ? SESSIONS_POLICY_DEFAULTS.algorithm
      : read.oneOf("KEYWARD_ALGORITHM", SIGNING_ALGORITHMS, "HS256"),
    strategy: sessions
      ? SESSIONS_POLICY_DEFAULTS.strategy
      : read.oneOf("KEYWARD_STRATEGY", ["graceful", "rolling"] as const, "graceful"),
    rotationPeriodMs:
      read.integer(
        names.rotationPeriodMs,
        (sessions ? SESSIONS_POLICY_DEFAULTS : DEFAULT_POLICY).rotationPeriodMs / DAY,
        1,
        3650,
      ) * DAY,
    keyringCacheTtlMs: read.integer(names.keyringCacheTtlMs, 60, 1, 3600) * SECOND,
    prePublicationMarginMs: read.integer(names.prePublicationMarginMs, 60, 0, 3600) * SECOND,
    maxTokenLifetimeMs: sessions
      ? read.integer(
          names.maxTokenLifetimeMs,
          SESSIONS_POLICY_DEFAULTS.maxTokenLifetimeMs / SECOND,
          60,
          365 * 86_400,
        ) * SECOND
      : read.integer(names.maxTokenLifetimeMs, 86_400, 60, 30 * 86_400) * SECOND,
    minGraceMs: days(names.minGraceMs, 7, 365),
    maxGraceMs: days(names.maxGraceMs, 21, 365),
    retireBelowShare: read.integer(names.retireBelowShare, 5, 0, 100) / 100,
    retentionMs: days(names.retentionMs, 7, 365),
  };
  try {
    return resolvePolicy(overrides);
  } catch (error) {
    if (!(error instanceof ConfigInvalid)) throw error;
    const variable: Readonly<Record<string, string>> = names;
    for (const problem of error.problems) {
      const named = problem.replace(/\b[a-zA-Z]+Ms\b/g, (name) => variable[name] ?? name);
      read.problem(sessions ? named.replace("valid tokens", "live sessions") : named);
    }
    return DEFAULT_POLICY;
  }
}

/** The variables that set a keyring's policy, by the policy's own names (used in its problems). */
function variablesOf(keyring: KeyringName) {
  const own = keyring === "signing" ? "KEYWARD_" : "KEYWARD_SESSIONS_";
  return {
    rotationPeriodMs: `${own}ROTATION_PERIOD_DAYS`,
    keyringCacheTtlMs: "KEYWARD_KEYRING_CACHE_TTL_SECONDS",
    prePublicationMarginMs: "KEYWARD_PRE_PUBLICATION_MARGIN_SECONDS",
    maxTokenLifetimeMs:
      keyring === "signing"
        ? "KEYWARD_MAX_TOKEN_LIFETIME_SECONDS"
        : "KEYWARD_SESSIONS_MAX_LIFETIME_SECONDS",
    minGraceMs: `${own}MIN_GRACE_DAYS`,
    maxGraceMs: `${own}MAX_GRACE_DAYS`,
    retireBelowShare: `${own}RETIRE_BELOW_PERCENT`,
    retentionMs: `${own}RETENTION_DAYS`,
  } as const;
}
