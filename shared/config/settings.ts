import { SIGNING_ALGORITHMS } from "../keyring/key.ts";
import { choice, named, number, type Setting, UNSET_BY_CONSTRUCT, wiring } from "./setting.ts";
import { VERIFICATION_SETTINGS } from "./verification-settings.ts";

export { VERIFICATION_SETTINGS };

/**
 * Every setting keyward's functions read, one line each, grouped by who reads them: the functions' readers
 * (`readVerificationSettings`, `readRotationPolicy`, `readRefreshSettings`), the construct
 * (infra/settings.ts: props to variables, checked at synth by those readers), the ready stack
 * (context keys to props) and docs/settings.md (checked against it by a test) all read this table;
 * the verifiers' group is in verification-settings.ts, so that a verifier's bundle holds no other.
 * Each number is (unit, variable, default, min, max); what each means is in setting-meanings.ts.
 * The defaults are the ones DESIGN.md gives; the rotation policy's (`DEFAULT_POLICY`) are read
 * from here.
 */
// biome-ignore format: one line per setting reads as the table it is
export const POLICY_SETTINGS = named({
  // The signing keyring's rotation policy: the rotation function and the ops API read the same.
  algorithm: choice("KEYWARD_ALGORITHM", SIGNING_ALGORITHMS, "HS256"),
  strategy: choice("KEYWARD_STRATEGY", ["graceful", "rolling"], "graceful"),
  signingKeys: choice("KEYWARD_SIGNING_KEYS", ["keyring", "kms"], "keyring"),
  rotationPeriod: number("days", "KEYWARD_ROTATION_PERIOD_DAYS", 90, 1, 3650),
  prePublicationMargin: number("seconds", "KEYWARD_PRE_PUBLICATION_MARGIN_SECONDS", 60, 0, 3600),
  propagationMaxWait: number("seconds", "KEYWARD_PROPAGATION_MAX_WAIT_SECONDS", 3600, 0, 7 * 86_400),
  minGrace: number("days", "KEYWARD_MIN_GRACE_DAYS", 7, 0, 365),
  maxGrace: number("days", "KEYWARD_MAX_GRACE_DAYS", 21, 0, 365),
  retireBelowPercent: number("percent", "KEYWARD_RETIRE_BELOW_PERCENT", 5, 0, 100),
  retention: number("days", "KEYWARD_RETENTION_DAYS", 7, 0, 365),

  // The sessions keyring's: A256GCM keys, graceful rotations.
  sessionsRotationPeriod: number("days", "KEYWARD_SESSIONS_ROTATION_PERIOD_DAYS", 30, 1, 3650),
  sessionsMaxLifetime: number("seconds", "KEYWARD_SESSIONS_MAX_LIFETIME_SECONDS", 7 * 86_400, 60, 365 * 86_400, { prop: "sessions.maxSessionLifetime" }),
  sessionsMinGrace: number("days", "KEYWARD_SESSIONS_MIN_GRACE_DAYS", 7, 0, 365),
  sessionsMaxGrace: number("days", "KEYWARD_SESSIONS_MAX_GRACE_DAYS", 21, 0, 365),
  sessionsRetireBelowPercent: number("percent", "KEYWARD_SESSIONS_RETIRE_BELOW_PERCENT", 5, 0, 100),
  sessionsRetention: number("days", "KEYWARD_SESSIONS_RETENTION_DAYS", 7, 0, 365),
});

// biome-ignore format: one line per setting reads as the table it is
export const REFRESH_SETTINGS = named({
  // Refresh-token families: the issuing endpoint's; the writers keep cut-offs as long as a family lives.
  refreshIdle: number("days", "KEYWARD_REFRESH_IDLE_DAYS", 7, 1, 365, UNSET_BY_CONSTRUCT),
  refreshAbsolute: number("days", "KEYWARD_REFRESH_ABSOLUTE_DAYS", 30, 1, 365, UNSET_BY_CONSTRUCT),
  refreshGrace: number("seconds", "KEYWARD_REFRESH_GRACE_SECONDS", 10, 0, 60, UNSET_BY_CONSTRUCT),
});

// biome-ignore format: one line per setting reads as the table it is
export const WIRING_SETTINGS = named({
  // Where things are: the construct sets them; set them by hand outside CDK.
  secretPrefix: wiring("KEYWARD_SECRET_PREFIX", { prop: "secretPrefix", context: "secretPrefix" }),
  upstashSecret: wiring("KEYWARD_UPSTASH_SECRET_ID"),
  upstashUrl: wiring("UPSTASH_REDIS_REST_URL"),
  upstashToken: wiring("UPSTASH_REDIS_REST_TOKEN"),
  eventBus: wiring("KEYWARD_EVENT_BUS"),
  owner: wiring("KEYWARD_OWNER"),
  replicaRegions: wiring("KEYWARD_REPLICA_REGIONS", { prop: "replicaRegions", context: "replicaRegions" }),
  kmsKey: wiring("KEYWARD_KMS_KEY_ID", { prop: "encryptionKey" }),
  operatorsSecret: wiring("KEYWARD_OPERATORS_SECRET_ID"),
  operators: wiring("KEYWARD_OPERATORS"),
  issuingClients: wiring("KEYWARD_ISSUING_CLIENTS"),
  issuingClientsSecret: wiring("KEYWARD_ISSUING_CLIENTS_SECRET_ID"),
  refreshSecret: wiring("KEYWARD_REFRESH_SECRET_ID"),
  jwksUrl: wiring("KEYWARD_JWKS_URL"),
  origin: wiring("KEYWARD_ORIGIN"),
});

/** The settings by who reads them: the construct passes each group to its readers. */
export const SETTING_GROUPS = {
  verification: VERIFICATION_SETTINGS,
  policy: POLICY_SETTINGS,
  refresh: REFRESH_SETTINGS,
  wiring: WIRING_SETTINGS,
} as const satisfies Record<string, Record<string, Setting>>;

export const SETTINGS = {
  ...VERIFICATION_SETTINGS,
  ...POLICY_SETTINGS,
  ...REFRESH_SETTINGS,
  ...WIRING_SETTINGS,
};

export type SettingName = keyof typeof SETTINGS;
