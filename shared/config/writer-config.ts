import { DAY, SECOND } from "../kernel/clock.ts";
import { ConfigInvalid } from "../kernel/errors.ts";
import { isKmsAlgorithm } from "../keyring/key.ts";
import type { KeyringName } from "../keyring/names.ts";
import {
  DEFAULT_POLICY,
  type RotationPolicy,
  resolvePolicy,
  SESSIONS_POLICY_DEFAULTS,
} from "../keyring/policy.ts";
import type { RevocationTiming } from "../revocation/rules.ts";
import { type Environment, EnvReader } from "./env.ts";
import { type NumberSetting, type NumberUnit, readChoice, readNumber } from "./setting.ts";
import { SETTINGS } from "./settings.ts";
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
  /** The verifiers' receipt window (same setting), as `GET /v1/verifiers` states it. */
  readonly receiptWindowMs: number;
  /** Where new signing keys are held (`KEYWARD_SIGNING_KEYS`): with the keyring, or in KMS. */
  readonly signingKeys: "keyring" | "kms";
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** Documented in docs/settings.md. Every problem is reported at once, by variable. */
export function readWriterConfig(env: Environment, read = new EnvReader(env)): WriterConfig {
  const secretPrefix = read.required(
    SETTINGS.secretPrefix.env,
    "the Secrets Manager name prefix of the keyring, e.g. keyward/prod",
  );
  const eventBus = read.required(SETTINGS.eventBus.env, "the EventBridge bus keyward publishes to");
  const upstashSecretId = read.required(
    SETTINGS.upstashSecret.env,
    'a secret holding {"url","token"} for Upstash',
  );
  const policy = readRotationPolicy(read, "signing");
  const policies = { signing: policy, sessions: readRotationPolicy(read, "sessions") };
  const timing: RevocationTiming = {
    maxTokenLifetimeSeconds: policy.maxTokenLifetimeMs / SECOND,
    clockToleranceSeconds: readNumber(read, SETTINGS.clockTolerance),
    // The verifiers' own bounds (same settings): a key rule outlives every cached keyring.
    keyringHoldSeconds:
      policy.keyringCacheTtlMs / SECOND + readNumber(read, SETTINGS.keyringMaxStale),
    // The issuers' refresh-token families (same setting): cut-offs outlive them.
    refreshLifetimeSeconds: (readNumber(read, SETTINGS.refreshAbsolute) * DAY) / SECOND,
  };
  const redisPrefix = readRedisPrefix(read);
  const owner = read.string(SETTINGS.owner.env);
  const replicaRegions = (read.string(SETTINGS.replicaRegions.env) ?? "")
    .split(",")
    .map((region) => region.trim())
    .filter((region) => region !== "");
  if (replicaRegions.some((region) => !REGION.test(region)))
    read.problem("KEYWARD_REPLICA_REGIONS must be AWS region names, comma-separated");
  const kmsKeyId = read.string(SETTINGS.kmsKey.env);
  const receiptWindowMs = readNumber(read, SETTINGS.receiptWindow) * SECOND;
  const signingKeys = readSigningKeys(read, policy);
  read.done();
  return {
    secretPrefix,
    eventBus,
    upstashSecretId,
    redisPrefix,
    timing,
    policy,
    policies,
    receiptWindowMs,
    signingKeys,
    ...(owner === undefined ? {} : { owner }),
    replicaRegions,
    ...(kmsKeyId === undefined ? {} : { kmsKeyId }),
  };
}

/** Where new signing keys are held; KMS holds ES256 (ECC_NIST_P256) and RS256 (RSA_2048) keys. */
export function readSigningKeys(read: EnvReader, policy: RotationPolicy): "keyring" | "kms" {
  const where = readChoice(read, SETTINGS.signingKeys);
  const problem = where === "kms" ? kmsAlgorithmProblem(policy) : undefined;
  if (problem !== undefined) read.problem(problem);
  return where;
}

/** Why keys held in KMS cannot follow `policy`, if they cannot. */
export function kmsAlgorithmProblem(policy: Pick<RotationPolicy, "algorithm">): string | undefined {
  return isKmsAlgorithm(policy.algorithm)
    ? undefined
    : `KEYWARD_SIGNING_KEYS=kms holds ES256 or RS256 keys (KMS's ECC_NIST_P256, RSA_2048): set KEYWARD_ALGORITHM=ES256 or RS256, not ${policy.algorithm}`;
}

/** The settings of each keyring's policy, by the policy's own names (used in its problems). */
const POLICY_SETTINGS = {
  signing: {
    rotationPeriodMs: SETTINGS.rotationPeriod,
    keyringCacheTtlMs: SETTINGS.keyringCacheTtl,
    prePublicationMarginMs: SETTINGS.prePublicationMargin,
    propagationMaxWaitMs: SETTINGS.propagationMaxWait,
    maxTokenLifetimeMs: SETTINGS.maxTokenLifetime,
    minGraceMs: SETTINGS.minGrace,
    maxGraceMs: SETTINGS.maxGrace,
    retireBelowShare: SETTINGS.retireBelowPercent,
    retentionMs: SETTINGS.retention,
  },
  sessions: {
    rotationPeriodMs: SETTINGS.sessionsRotationPeriod,
    keyringCacheTtlMs: SETTINGS.keyringCacheTtl,
    prePublicationMarginMs: SETTINGS.prePublicationMargin,
    propagationMaxWaitMs: SETTINGS.propagationMaxWait,
    maxTokenLifetimeMs: SETTINGS.sessionsMaxLifetime,
    minGraceMs: SETTINGS.sessionsMinGrace,
    maxGraceMs: SETTINGS.sessionsMaxGrace,
    retireBelowShare: SETTINGS.sessionsRetireBelowPercent,
    retentionMs: SETTINGS.sessionsRetention,
  },
} as const satisfies Record<KeyringName, Record<string, NumberSetting>>;

/** What one of a setting's units is in the policy's own: milliseconds, or a share. */
const IN_POLICY: Readonly<Record<NumberUnit, number>> = {
  days: DAY,
  seconds: SECOND,
  milliseconds: 1,
  percent: 1 / 100,
  count: 1,
};

/**
 * A keyring's rotation policy from its settings (docs/settings.md): `KEYWARD_*` for the signing
 * keyring; `KEYWARD_SESSIONS_*` for the sessions keyring, whose keys are always A256GCM and whose
 * longest lifetime is a session's. The keyring cache TTL and the pre-publication margin are the
 * same for both. The policy's own rules (a grace shorter than a lifetime...) become problems of
 * `read`, named by variable, reported with the others at `read.done()`.
 */
export function readRotationPolicy(read: EnvReader, keyring: KeyringName): RotationPolicy {
  const settings: Readonly<Record<string, NumberSetting>> = POLICY_SETTINGS[keyring];
  const sessions = keyring === "sessions";
  const overrides: Partial<RotationPolicy> = {
    algorithm: sessions ? SESSIONS_POLICY_DEFAULTS.algorithm : readChoice(read, SETTINGS.algorithm),
    strategy: sessions ? SESSIONS_POLICY_DEFAULTS.strategy : readChoice(read, SETTINGS.strategy),
    ...Object.fromEntries(
      Object.entries(settings).map(([field, setting]) => [
        field,
        readNumber(read, setting) * IN_POLICY[setting.unit],
      ]),
    ),
  };
  try {
    return resolvePolicy(overrides);
  } catch (error) {
    if (!(error instanceof ConfigInvalid)) throw error;
    for (const problem of error.problems) {
      const named = problem.replace(/\b[a-zA-Z]+Ms\b/g, (name) => settings[name]?.env ?? name);
      read.problem(sessions ? named.replace("valid tokens", "live sessions") : named);
    }
    return DEFAULT_POLICY;
  }
}
