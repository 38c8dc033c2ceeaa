import { Duration } from "aws-cdk-lib";
import { EnvReader } from "../shared/config/env.ts";
import { readVerifierConfig } from "../shared/config/verifier-config.ts";
import { readRotationPolicy } from "../shared/config/writer-config.ts";
import { ConfigInvalid } from "../shared/kernel/errors.ts";
import type { Algorithm } from "../shared/keyring/key.ts";
import { DEFAULT_REDIS_PREFIX, redisPrefixProblem } from "../shared/upstash/prefix.ts";

/** The rotation policy and verification settings, as construct props (README, "Deploying"). */
export interface KeywardSettings {
  /** Algorithm of new keys. Default HS256. */
  readonly algorithm?: Algorithm;
  /** graceful (default) or rolling. */
  readonly strategy?: "graceful" | "rolling";
  /** A new key becomes current this long after the last activation. Default 90 days. */
  readonly rotationPeriod?: Duration;
  /** A previous key verifies at least this long. Default 7 days. */
  readonly minGrace?: Duration;
  /** ...and at most this long. Default 21 days. */
  readonly maxGrace?: Duration;
  /** Between the two, a previous key retires once its share of verifications is below this. Default 5. */
  readonly retireBelowPercent?: number;
  /** A retired key stays reinstatable this long before it is destroyed. Default 7 days. */
  readonly retention?: Duration;
  /** The longest lifetime of an issued token. Default 24 hours. */
  readonly maxTokenLifetime?: Duration;
  /** How long verifiers cache the keyring. Default 60 s. */
  readonly keyringCacheTtl?: Duration;
  /** A new key stays pending this long beyond the keyring cache TTL before it signs. Default 60 s. */
  readonly prePublicationMargin?: Duration;
  /** What the authorizer does when Upstash does not answer in time. Default closed. */
  readonly failureMode?: "closed" | "open";
  /** Key prefix in Upstash, shared by every function. Default `kw:`. */
  readonly redisPrefix?: string;
  /** `iss` verifiers require and issuers set. Default: not checked. */
  readonly issuer?: string;
  /** `aud` verifiers require. Default: not checked. */
  readonly audience?: string;
  /** Header `typ` verifiers require and issuers set. Default JWT. */
  readonly tokenType?: string;
  /** The header the token comes in (the attach methods' default too). Default Authorization. */
  readonly tokenHeader?: string;
  /** A cookie the token may come in instead (REST REQUEST and HTTP API authorizers). */
  readonly tokenCookie?: string;
  /** Clock skew verifiers allow. Default 5 s. */
  readonly clockTolerance?: Duration;
  /** While Secrets Manager fails, the last good keyring verifies this long. Default 15 min. */
  readonly keyringMaxStale?: Duration;
  /** A token naming an unknown kid reloads the keyring at most once per this. Default 10 s. */
  readonly unknownKidCooldown?: Duration;
  /** A request naming an unknown kid waits this long for the reload. Default 1 s. */
  readonly unknownKidWait?: Duration;
  /** The time budget of the revocation check. Default 100 ms. */
  readonly revocationBudget?: Duration;
  /**
   * Verifiers keep the revocation rules in memory, refreshed from the change log (zero round
   * trips while fresh). Default true; false makes every check a lookup (one round trip).
   */
  readonly revocationMirror?: boolean;
  /**
   * The mirror decides alone only while its last refresh began less than this ago. Default 900 ms;
   * with `revocationBudget`, at most 1 s (the revocation promise).
   */
  readonly revocationFreshness?: Duration;
  /** Above this many live rules the mirror stops and checks are lookups. Default 200,000. */
  readonly revocationMirrorMaxRules?: number;
  /** The sessions keyring's own policy (A256GCM keys for `keyward/sessions`). */
  readonly sessions?: SessionKeyringSettings;
}

/** The sessions keyring's policy; the keyring cache TTL is the signing keyring's. */
export interface SessionKeyringSettings {
  /** A new key becomes current this long after the last activation. Default 30 days. */
  readonly rotationPeriod?: Duration;
  /** The longest a session may live: no key retires before its last session ends. Default 7 days. */
  readonly maxSessionLifetime?: Duration;
  /** A previous key opens sessions at least this long. Default 7 days. */
  readonly minGrace?: Duration;
  /** ...and at most this long (or the longest session, if later). Default 21 days. */
  readonly maxGrace?: Duration;
  /** Between the two, a previous key retires once its share of opened sessions is below this. Default 5. */
  readonly retireBelowPercent?: number;
  /** A retired key stays reinstatable this long before it is destroyed. Default 7 days. */
  readonly retention?: Duration;
}

/** The environment every function reads its settings from, checked with the functions' own reader. */
export interface SettingsEnvironment {
  /** The rotation policy: the rotation function and the ops API read the same. */
  readonly policy: Record<string, string>;
  /** What verifiers need beyond the stores. */
  readonly verifier: Record<string, string>;
  readonly redisPrefix: string;
}

/**
 * Turns the props into the functions' variables and checks them at synth with the same code the
 * functions run at start, so a policy they would refuse (a grace shorter than a token's life...)
 * fails `cdk synth` with the same message instead of a broken deployment.
 */
export function settingsEnvironment(settings: KeywardSettings): SettingsEnvironment {
  const problems: string[] = [];
  const sessions = settings.sessions ?? {};
  const whole = (name: string, value: Duration | undefined, unit: "days" | "seconds") => {
    if (value === undefined) return undefined;
    const amount =
      unit === "days" ? value.toDays({ integral: false }) : value.toSeconds({ integral: false });
    if (Number.isInteger(amount)) return String(amount);
    problems.push(`${name} must be a whole number of ${unit}`);
    return undefined;
  };
  const entries: [string, string | undefined][] = [
    ["KEYWARD_ALGORITHM", settings.algorithm],
    ["KEYWARD_STRATEGY", settings.strategy],
    ["KEYWARD_ROTATION_PERIOD_DAYS", whole("rotationPeriod", settings.rotationPeriod, "days")],
    ["KEYWARD_MIN_GRACE_DAYS", whole("minGrace", settings.minGrace, "days")],
    ["KEYWARD_MAX_GRACE_DAYS", whole("maxGrace", settings.maxGrace, "days")],
    ["KEYWARD_RETIRE_BELOW_PERCENT", settings.retireBelowPercent?.toString()],
    ["KEYWARD_RETENTION_DAYS", whole("retention", settings.retention, "days")],
    [
      "KEYWARD_MAX_TOKEN_LIFETIME_SECONDS",
      whole("maxTokenLifetime", settings.maxTokenLifetime ?? Duration.hours(24), "seconds"),
    ],
    [
      "KEYWARD_KEYRING_CACHE_TTL_SECONDS",
      whole("keyringCacheTtl", settings.keyringCacheTtl ?? Duration.seconds(60), "seconds"),
    ],
    [
      "KEYWARD_PRE_PUBLICATION_MARGIN_SECONDS",
      whole("prePublicationMargin", settings.prePublicationMargin, "seconds"),
    ],
    [
      "KEYWARD_SESSIONS_ROTATION_PERIOD_DAYS",
      whole("sessions.rotationPeriod", sessions.rotationPeriod, "days"),
    ],
    [
      "KEYWARD_SESSIONS_MAX_LIFETIME_SECONDS",
      whole("sessions.maxSessionLifetime", sessions.maxSessionLifetime, "seconds"),
    ],
    ["KEYWARD_SESSIONS_MIN_GRACE_DAYS", whole("sessions.minGrace", sessions.minGrace, "days")],
    ["KEYWARD_SESSIONS_MAX_GRACE_DAYS", whole("sessions.maxGrace", sessions.maxGrace, "days")],
    ["KEYWARD_SESSIONS_RETIRE_BELOW_PERCENT", sessions.retireBelowPercent?.toString()],
    ["KEYWARD_SESSIONS_RETENTION_DAYS", whole("sessions.retention", sessions.retention, "days")],
  ];
  const policy = Object.fromEntries(
    entries.filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const read = new EnvReader(policy);
  readRotationPolicy(read);
  readRotationPolicy(read, "sessions");
  const failureMode = settings.failureMode ?? "closed";
  if (failureMode !== "closed" && failureMode !== "open")
    problems.push("failureMode must be closed or open");
  const redisPrefix = settings.redisPrefix ?? DEFAULT_REDIS_PREFIX;
  const prefixProblem = redisPrefixProblem(redisPrefix, "redisPrefix");
  if (prefixProblem !== undefined) problems.push(prefixProblem);
  try {
    read.done();
  } catch (error) {
    if (!(error instanceof ConfigInvalid)) throw error;
    problems.push(
      ...error.problems.map((problem) =>
        problem.replace(/KEYWARD_[A-Z_]+/g, (name) => PROP_OF[name] ?? name),
      ),
    );
  }
  const milliseconds = (name: string, value: Duration | undefined) => {
    if (value === undefined) return undefined;
    const amount = value.toMilliseconds({ integral: false });
    if (Number.isInteger(amount)) return String(amount);
    problems.push(`${name} must be a whole number of milliseconds`);
    return undefined;
  };
  const verifier = Object.fromEntries(
    (<[string, string | undefined][]>[
      ["KEYWARD_REVOCATION_FAILURE_MODE", failureMode],
      ["KEYWARD_MAX_TOKEN_LIFETIME_SECONDS", policy.KEYWARD_MAX_TOKEN_LIFETIME_SECONDS ?? "86400"],
      ["KEYWARD_KEYRING_CACHE_TTL_SECONDS", policy.KEYWARD_KEYRING_CACHE_TTL_SECONDS ?? "60"],
      ["KEYWARD_ISSUER", settings.issuer],
      ["KEYWARD_AUDIENCE", settings.audience],
      ["KEYWARD_TOKEN_TYPE", settings.tokenType],
      ["KEYWARD_TOKEN_HEADER", settings.tokenHeader],
      ["KEYWARD_TOKEN_COOKIE", settings.tokenCookie],
      [
        "KEYWARD_CLOCK_TOLERANCE_SECONDS",
        whole("clockTolerance", settings.clockTolerance, "seconds"),
      ],
      [
        "KEYWARD_KEYRING_MAX_STALE_SECONDS",
        whole("keyringMaxStale", settings.keyringMaxStale, "seconds"),
      ],
      [
        "KEYWARD_UNKNOWN_KID_COOLDOWN_SECONDS",
        whole("unknownKidCooldown", settings.unknownKidCooldown, "seconds"),
      ],
      ["KEYWARD_UNKNOWN_KID_WAIT_MS", milliseconds("unknownKidWait", settings.unknownKidWait)],
      ["KEYWARD_REVOCATION_BUDGET_MS", milliseconds("revocationBudget", settings.revocationBudget)],
      [
        "KEYWARD_REVOCATION_MIRROR",
        settings.revocationMirror === undefined
          ? undefined
          : settings.revocationMirror
            ? "on"
            : "off",
      ],
      [
        "KEYWARD_REVOCATION_FRESHNESS_MS",
        milliseconds("revocationFreshness", settings.revocationFreshness),
      ],
      ["KEYWARD_REVOCATION_MIRROR_MAX_RULES", settings.revocationMirrorMaxRules?.toString()],
    ]).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  // The authorizer's own reader, on the variables it will get (the stores' names stand in).
  try {
    readVerifierConfig({
      ...verifier,
      KEYWARD_SECRET_PREFIX: "keyward/synth",
      KEYWARD_UPSTASH_SECRET_ID: "synth",
    });
  } catch (error) {
    if (!(error instanceof ConfigInvalid)) throw error;
    problems.push(
      ...error.problems.map((problem) =>
        problem.replace(/KEYWARD_[A-Z_]+/g, (name) => PROP_OF[name] ?? name),
      ),
    );
  }
  if (problems.length > 0) throw new ConfigInvalid(problems);
  return { policy, verifier, redisPrefix };
}

/** The props behind the functions' variables, to name them in synth errors. */
const PROP_OF: Readonly<Record<string, string>> = {
  KEYWARD_ALGORITHM: "algorithm",
  KEYWARD_STRATEGY: "strategy",
  KEYWARD_ROTATION_PERIOD_DAYS: "rotationPeriod",
  KEYWARD_MIN_GRACE_DAYS: "minGrace",
  KEYWARD_MAX_GRACE_DAYS: "maxGrace",
  KEYWARD_RETIRE_BELOW_PERCENT: "retireBelowPercent",
  KEYWARD_RETENTION_DAYS: "retention",
  KEYWARD_MAX_TOKEN_LIFETIME_SECONDS: "maxTokenLifetime",
  KEYWARD_KEYRING_CACHE_TTL_SECONDS: "keyringCacheTtl",
  KEYWARD_PRE_PUBLICATION_MARGIN_SECONDS: "prePublicationMargin",
  KEYWARD_TOKEN_HEADER: "tokenHeader",
  KEYWARD_TOKEN_COOKIE: "tokenCookie",
  KEYWARD_CLOCK_TOLERANCE_SECONDS: "clockTolerance",
  KEYWARD_KEYRING_MAX_STALE_SECONDS: "keyringMaxStale",
  KEYWARD_UNKNOWN_KID_COOLDOWN_SECONDS: "unknownKidCooldown",
  KEYWARD_UNKNOWN_KID_WAIT_MS: "unknownKidWait",
  KEYWARD_REVOCATION_BUDGET_MS: "revocationBudget",
  KEYWARD_REVOCATION_MIRROR: "revocationMirror",
  KEYWARD_REVOCATION_FRESHNESS_MS: "revocationFreshness",
  KEYWARD_REVOCATION_MIRROR_MAX_RULES: "revocationMirrorMaxRules",
  KEYWARD_SESSIONS_ROTATION_PERIOD_DAYS: "sessions.rotationPeriod",
  KEYWARD_SESSIONS_MAX_LIFETIME_SECONDS: "sessions.maxSessionLifetime",
  KEYWARD_SESSIONS_MIN_GRACE_DAYS: "sessions.minGrace",
  KEYWARD_SESSIONS_MAX_GRACE_DAYS: "sessions.maxGrace",
  KEYWARD_SESSIONS_RETIRE_BELOW_PERCENT: "sessions.retireBelowPercent",
  KEYWARD_SESSIONS_RETENTION_DAYS: "sessions.retention",
};
