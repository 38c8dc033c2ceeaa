import { DAY, SECOND } from "../kernel/clock.ts";
import { SIGNING_ALGORITHMS } from "../keyring/key.ts";
import { DEFAULT_POLICY, SESSIONS_POLICY_DEFAULTS } from "../keyring/policy.ts";
import { DEFAULT_REDIS_PREFIX } from "../upstash/prefix.ts";
import {
  choice,
  named,
  number,
  type Setting,
  text,
  UNSET_BY_CONSTRUCT,
  wiring,
} from "./setting.ts";

const P = DEFAULT_POLICY;
const S = SESSIONS_POLICY_DEFAULTS;

/**
 * Every setting keyward's functions read, one line each, grouped by who reads them: the functions' readers
 * (`readVerificationSettings`, `readRotationPolicy`, `readRefreshSettings`), the construct
 * (infra/settings.ts: props to variables, checked at synth by those readers), the ready stack
 * (context keys to props) and docs/settings.md (checked against it by a test) all read this table.
 * Each number is (unit, variable, default, min, max, meaning).
 */
// biome-ignore format: one line per setting reads as the table it is
const VERIFICATION = named({
  // How verifiers verify: the authorizer, the edge, the issuing endpoint's own checks, the local stack.
  redisPrefix: text("KEYWARD_REDIS_PREFIX", DEFAULT_REDIS_PREFIX, "prefix of every key in Upstash: 1 to 64 of A-Z a-z 0-9 : _ . -"),
  issuer: text("KEYWARD_ISSUER", undefined, "`iss` verifiers require and issuers set; unset: not checked"),
  audience: text("KEYWARD_AUDIENCE", undefined, "`aud` verifiers require; unset: not checked"),
  tokenType: text("KEYWARD_TOKEN_TYPE", undefined, "header `typ` verifiers require; unset: not checked"),
  tokenHeader: text("KEYWARD_TOKEN_HEADER", "authorization", "header the token comes in (`authorization`: the Bearer scheme); the attach methods use it"),
  tokenCookie: text("KEYWARD_TOKEN_COOKIE", undefined, "cookie the token may come in when the header is absent"),
  clockTolerance: number("seconds", "KEYWARD_CLOCK_TOLERANCE_SECONDS", 5, 0, 300, "clock skew allowed on `exp`, `nbf` and `iat`"),
  maxTokenLifetime: number("seconds", "KEYWARD_MAX_TOKEN_LIFETIME_SECONDS", P.maxTokenLifetimeMs / SECOND, 60, 30 * 86_400, "longest `exp - iat` issued or accepted; cut-offs live this long"),
  keyringCacheTtl: number("seconds", "KEYWARD_KEYRING_CACHE_TTL_SECONDS", P.keyringCacheTtlMs / SECOND, 1, 3600, "how long a verifier or signer uses a loaded keyring (both keyrings); a new key stays pending at least this long"),
  keyringMaxStale: number("seconds", "KEYWARD_KEYRING_MAX_STALE_SECONDS", 900, 0, 86_400, "how long the last good keyring serves while Secrets Manager fails; then refuse"),
  unknownKidCooldown: number("seconds", "KEYWARD_UNKNOWN_KID_COOLDOWN_SECONDS", 10, 1, 3600, "at most one keyring reload per this period for unknown kids"),
  unknownKidWait: number("milliseconds", "KEYWARD_UNKNOWN_KID_WAIT_MS", 1000, 10, 5000, "how long requests with an unknown kid wait for that reload"),
  revocationBudget: number("milliseconds", "KEYWARD_REVOCATION_BUDGET_MS", 100, 10, 5000, "time budget of a revocation check (a lookup, or a refresh of the mirror)"),
  failureMode: choice("KEYWARD_REVOCATION_FAILURE_MODE", ["closed", "open"], "closed", "`closed`: refuse when the store does not answer in time; `open`: allow, and count it"),
  revocationMirror: choice("KEYWARD_REVOCATION_MIRROR", ["on", "off"], "on", "keep the revocation rules in memory (the prop is a boolean); `off`: one lookup per request"),
  revocationFreshness: number("milliseconds", "KEYWARD_REVOCATION_FRESHNESS_MS", 900, 100, 990, "the mirror decides alone only while its last refresh began less than this ago; plus the budget, at most 1,000"),
  revocationMirrorMaxRules: number("count", "KEYWARD_REVOCATION_MIRROR_MAX_RULES", 200_000, 1, 5_000_000, "above this many live rules the mirror stops and every check is a lookup"),
});

// biome-ignore format: one line per setting reads as the table it is
const POLICY = named({
  // The signing keyring's rotation policy: the rotation function and the ops API read the same.
  algorithm: choice("KEYWARD_ALGORITHM", SIGNING_ALGORITHMS, P.algorithm, "algorithm of new signing keys"),
  strategy: choice("KEYWARD_STRATEGY", ["graceful", "rolling"], P.strategy, "how a scheduled rotation rolls out"),
  rotationPeriod: number("days", "KEYWARD_ROTATION_PERIOD_DAYS", P.rotationPeriodMs / DAY, 1, 3650, "a new key becomes current this long after the last activation"),
  prePublicationMargin: number("seconds", "KEYWARD_PRE_PUBLICATION_MARGIN_SECONDS", P.prePublicationMarginMs / SECOND, 0, 3600, "a new key stays pending this long beyond the keyring cache TTL (both keyrings)"),
  minGrace: number("days", "KEYWARD_MIN_GRACE_DAYS", P.minGraceMs / DAY, 0, 365, "a previous key verifies at least this long"),
  maxGrace: number("days", "KEYWARD_MAX_GRACE_DAYS", P.maxGraceMs / DAY, 0, 365, "and at most this long"),
  retireBelowPercent: number("percent", "KEYWARD_RETIRE_BELOW_PERCENT", P.retireBelowShare * 100, 0, 100, "between the two, a previous key retires once its share of verifications is below this"),
  retention: number("days", "KEYWARD_RETENTION_DAYS", P.retentionMs / DAY, 0, 365, "a retired key stays reinstatable this long before it is destroyed"),

  // The sessions keyring's: A256GCM keys, graceful rotations.
  sessionsRotationPeriod: number("days", "KEYWARD_SESSIONS_ROTATION_PERIOD_DAYS", S.rotationPeriodMs / DAY, 1, 3650, "a new session key becomes current this long after the last activation"),
  sessionsMaxLifetime: number("seconds", "KEYWARD_SESSIONS_MAX_LIFETIME_SECONDS", S.maxTokenLifetimeMs / SECOND, 60, 365 * 86_400, "the longest a session may live: sealers refuse longer, and no key retires before its last session ends", { prop: "sessions.maxSessionLifetime" }),
  sessionsMinGrace: number("days", "KEYWARD_SESSIONS_MIN_GRACE_DAYS", P.minGraceMs / DAY, 0, 365, "a previous session key opens sessions at least this long"),
  sessionsMaxGrace: number("days", "KEYWARD_SESSIONS_MAX_GRACE_DAYS", P.maxGraceMs / DAY, 0, 365, "and at most this long (or the longest session, if later)"),
  sessionsRetireBelowPercent: number("percent", "KEYWARD_SESSIONS_RETIRE_BELOW_PERCENT", P.retireBelowShare * 100, 0, 100, "between the two, a previous session key retires once its share of opened sessions is below this"),
  sessionsRetention: number("days", "KEYWARD_SESSIONS_RETENTION_DAYS", P.retentionMs / DAY, 0, 365, "a retired session key stays reinstatable this long"),
});

// biome-ignore format: one line per setting reads as the table it is
const REFRESH = named({
  // Refresh-token families: the issuing endpoint's; the writers keep cut-offs as long as a family lives.
  refreshIdle: number("days", "KEYWARD_REFRESH_IDLE_DAYS", 7, 1, 365, "a refresh token unused this long expires", UNSET_BY_CONSTRUCT),
  refreshAbsolute: number("days", "KEYWARD_REFRESH_ABSOLUTE_DAYS", 30, 1, 365, "a family ends this long after its login, however it is used", UNSET_BY_CONSTRUCT),
  refreshGrace: number("seconds", "KEYWARD_REFRESH_GRACE_SECONDS", 10, 0, 60, "a used refresh token presented again this soon gets the same successor", UNSET_BY_CONSTRUCT),
});

// biome-ignore format: one line per setting reads as the table it is
const WIRING = named({
  // Where things are: the construct sets them; set them by hand outside CDK.
  secretPrefix: wiring("KEYWARD_SECRET_PREFIX", "Secrets Manager name prefix of the keyrings (construct default `keyward/<stack name>`)", { prop: "secretPrefix", context: "secretPrefix" }),
  upstashSecret: wiring("KEYWARD_UPSTASH_SECRET_ID", 'a secret holding `{"url","token"}`: the function\'s own Upstash credentials'),
  upstashUrl: wiring("UPSTASH_REDIS_REST_URL", "Upstash's REST URL instead of a secret (the edge, local runs)"),
  upstashToken: wiring("UPSTASH_REDIS_REST_TOKEN", "Upstash's REST token, with the URL"),
  eventBus: wiring("KEYWARD_EVENT_BUS", "the EventBridge bus keyward publishes to"),
  owner: wiring("KEYWARD_OWNER", "the deployment owning the keyrings' secrets: they are tagged with it, and only it deletes them"),
  replicaRegions: wiring("KEYWARD_REPLICA_REGIONS", "regions the keyrings' secrets are replicated to, comma-separated", { prop: "replicaRegions", context: "replicaRegions" }),
  kmsKey: wiring("KEYWARD_KMS_KEY_ID", "the KMS key new keyring secrets are encrypted with", { prop: "encryptionKey" }),
  operatorsSecret: wiring("KEYWARD_OPERATORS_SECRET_ID", "the ops API's operators (`[{name, role, tokenSha256}]`)"),
  operators: wiring("KEYWARD_OPERATORS", "the ops API's operators inline, as JSON, instead of a secret (local runs)"),
  issuingClients: wiring("KEYWARD_ISSUING_CLIENTS", "the issuing endpoint's clients inline, as JSON, instead of a secret"),
  issuingClientsSecret: wiring("KEYWARD_ISSUING_CLIENTS_SECRET_ID", "the issuing endpoint's clients"),
  refreshSecret: wiring("KEYWARD_REFRESH_SECRET_ID", "the secret refresh tokens' successors are derived with; set, refresh tokens are on"),
  jwksUrl: wiring("KEYWARD_JWKS_URL", "the edge only: keys from this public JWKS instead of Secrets Manager"),
  origin: wiring("KEYWARD_ORIGIN", "the edge only: where accepted requests go"),
});

/** The settings by who reads them: the construct passes each group to its readers. */
export const SETTING_GROUPS = {
  verification: VERIFICATION,
  policy: POLICY,
  refresh: REFRESH,
  wiring: WIRING,
} as const satisfies Record<string, Record<string, Setting>>;

export const SETTINGS = { ...VERIFICATION, ...POLICY, ...REFRESH, ...WIRING };

export type SettingName = keyof typeof SETTINGS;
