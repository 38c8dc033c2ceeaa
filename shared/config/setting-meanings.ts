import type { SettingName } from "./settings.ts";

/**
 * What each setting means, for docs/settings.md (`npm run docs`): apart from the table the
 * functions read, so the prose stays out of every bundle. A setting without a meaning does not
 * compile.
 */
export const SETTING_MEANINGS: Readonly<Record<SettingName, string>> = {
  redisPrefix: "prefix of every key in Upstash: 1 to 64 of A-Z a-z 0-9 : _ . -",
  issuer: "`iss` verifiers require and issuers set; unset: not checked",
  audience: "`aud` verifiers require; unset: not checked",
  tokenType: "header `typ` verifiers require; unset: not checked",
  tokenHeader:
    "header the token comes in (`authorization`: the Bearer scheme); the attach methods use it",
  tokenCookie: "cookie the token may come in when the header is absent",
  clockTolerance: "clock skew allowed on `exp`, `nbf` and `iat`",
  maxTokenLifetime: "longest `exp - iat` issued or accepted; cut-offs live this long",
  keyringCacheTtl:
    "how long a verifier or signer uses a loaded keyring (both keyrings); a new key stays pending at least this long",
  keyringMaxStale: "how long the last good keyring serves while Secrets Manager fails; then refuse",
  receiptWindow:
    "an instance counts as live this long after its last receipt (a frozen container drops out after it); a pending key waits only for live ones",
  unknownKidCooldown: "at most one keyring reload per this period for unknown kids",
  unknownKidWait: "how long requests with an unknown kid wait for that reload",
  revocationBudget: "time budget of a revocation check (a lookup, or a refresh of the mirror)",
  failureMode:
    "`closed`: refuse when the store does not answer in time; `open`: allow, and count it",
  revocationMirror:
    "keep the revocation rules in memory (the prop is a boolean); `off`: one lookup per request",
  revocationFreshness:
    "the mirror decides alone only while its last refresh began less than this ago; plus the budget, at most 1,000",
  revocationMirrorMaxRules:
    "above this many live rules the mirror stops and every check is a lookup",
  algorithm: "algorithm of new signing keys",
  strategy: "how a scheduled rotation rolls out",
  signingKeys:
    "where new signing keys are held: `keyring`, with the keyring in its store; `kms`, in AWS KMS, never leaving it (ES256 or RS256)",
  rotationPeriod: "a new key becomes current this long after the last activation",
  prePublicationMargin:
    "a new key stays pending this long beyond the keyring cache TTL (both keyrings)",
  propagationMaxWait:
    "an activation waiting for every live verifier to hold its key raises PropagationIncomplete after this (both keyrings)",
  minGrace: "a previous key verifies at least this long",
  maxGrace: "and at most this long",
  retireBelowPercent:
    "between the two, a previous key retires once its share of verifications is below this",
  retention: "a retired key stays reinstatable this long before it is destroyed",
  sessionsRotationPeriod: "a new session key becomes current this long after the last activation",
  sessionsMaxLifetime:
    "the longest a session may live: sealers refuse longer, and no key retires before its last session ends",
  sessionsMinGrace: "a previous session key opens sessions at least this long",
  sessionsMaxGrace: "and at most this long (or the longest session, if later)",
  sessionsRetireBelowPercent:
    "between the two, a previous session key retires once its share of opened sessions is below this",
  sessionsRetention: "a retired session key stays reinstatable this long",
  refreshIdle: "a refresh token unused this long expires",
  refreshAbsolute: "a family ends this long after its login, however it is used",
  refreshGrace: "a used refresh token presented again this soon gets the same successor",
  secretPrefix:
    "Secrets Manager name prefix of the keyrings (construct default `keyward/<stack name>`)",
  upstashSecret: 'a secret holding `{"url","token"}`: the function\'s own Upstash credentials',
  upstashUrl: "Upstash's REST URL instead of a secret (the edge, local runs)",
  upstashToken: "Upstash's REST token, with the URL",
  eventBus: "the EventBridge bus keyward publishes to",
  owner:
    "the deployment owning the keyrings' secrets: they are tagged with it, and only it deletes them",
  replicaRegions: "regions the keyrings' secrets are replicated to, comma-separated",
  kmsKey: "the KMS key new keyring secrets are encrypted with",
  operatorsSecret: "the ops API's operators (`[{name, role, tokenSha256}]`)",
  operators: "the ops API's operators inline, as JSON, instead of a secret (local runs)",
  issuingClients: "the issuing endpoint's clients inline, as JSON, instead of a secret",
  issuingClientsSecret: "the issuing endpoint's clients",
  refreshSecret:
    "the secret refresh tokens' successors are derived with; set, refresh tokens are on",
  jwksUrl: "the edge only: keys from this public JWKS instead of Secrets Manager",
  origin: "the edge only: where accepted requests go",
};
