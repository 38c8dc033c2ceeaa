import type { FailureMode } from "../revocation/guard.ts";
import { REVOCATION_PROMISE_MS } from "../revocation/mirror.ts";
import { DEFAULT_REDIS_PREFIX, redisPrefixProblem } from "../upstash/prefix.ts";
import { type Environment, EnvReader } from "./env.ts";
import { readChoice, readNumber, readText } from "./setting.ts";
import { VERIFICATION_SETTINGS } from "./verification-settings.ts";

/** Where the Upstash credentials come from: the environment (local) or a secret of their own (AWS). */
export type UpstashSource =
  | { readonly kind: "env"; readonly url: string; readonly token: string }
  | { readonly kind: "secret"; readonly secretId: string };

/**
 * Where a verifier reads its keys: the keyring in Secrets Manager (every algorithm, with each
 * key's status), or, at the edge only, a JWKS URL (public keys of asymmetric keys, no
 * credentials needed).
 */
export type SecretsKeys = { readonly kind: "secrets"; readonly prefix: string };
export type KeySource = SecretsKeys | { readonly kind: "jwks"; readonly url: string };

/**
 * How a verifier verifies, wherever its keys and rules come from: the settings the authorizer, the
 * edge and the local stack read with the same code (`readVerificationSettings`).
 */
export interface VerificationSettings {
  readonly redisPrefix: string;
  readonly issuer?: string;
  readonly audience?: string;
  readonly tokenType?: string;
  readonly clockToleranceSeconds: number;
  readonly maxTokenLifetimeSeconds: number;
  readonly keyringCacheTtlSeconds: number;
  readonly keyringMaxStaleSeconds: number;
  readonly unknownKidCooldownSeconds: number;
  /** A request with an unknown kid waits at most this long for the keyring's reload. */
  readonly unknownKidWaitMs: number;
  readonly revocationBudgetMs: number;
  readonly failureMode: FailureMode;
  /**
   * The revocation rules in memory, refreshed from the change log (`mirror.ts`): checks decide
   * with no round trip while the mirror is younger than `revocationFreshnessMs`. Default on.
   */
  readonly revocationMirror: boolean;
  readonly revocationFreshnessMs: number;
  /** Above this many live rules the mirror stops and every check is a lookup. */
  readonly revocationMirrorMaxRules: number;
  /** The instance's receipt lives this long: it counts as live this long after its last one. */
  readonly receiptWindowSeconds: number;
  /** Header carrying the token; `authorization` means the Bearer scheme. */
  readonly tokenHeader: string;
  readonly tokenCookie?: string;
}

/** Everything a deployed verifier (the Lambda authorizer, the edge) is configured with. */
export interface VerifierConfig<Keys extends KeySource = SecretsKeys> extends VerificationSettings {
  readonly keys: Keys;
  readonly upstash: UpstashSource;
}

/**
 * Documented in docs/settings.md (`KEYWARD_JWKS_URL` only the edge verifier takes, with `keySources: "secrets-or-jwks"`); every problem is reported at once.
 */
export function readVerifierConfig(env: Environment): VerifierConfig;
export function readVerifierConfig(
  env: Environment,
  keySources: "secrets-or-jwks",
  read?: EnvReader,
): VerifierConfig<KeySource>;
export function readVerifierConfig(
  env: Environment,
  keySources: "secrets" | "secrets-or-jwks" = "secrets",
  read = new EnvReader(env),
): VerifierConfig<KeySource> {
  const jwksUrl = keySources === "secrets-or-jwks" ? read.url("KEYWARD_JWKS_URL") : undefined;
  let keys: KeySource;
  if (jwksUrl !== undefined) {
    if (read.string("KEYWARD_SECRET_PREFIX") !== undefined)
      read.problem("set KEYWARD_SECRET_PREFIX or KEYWARD_JWKS_URL, not both: where the keys are");
    keys = { kind: "jwks", url: jwksUrl };
  } else {
    const prefix = read.required(
      "KEYWARD_SECRET_PREFIX",
      keySources === "secrets"
        ? "the Secrets Manager name prefix of the keyring, e.g. keyward/prod"
        : "the Secrets Manager name prefix of the keyring, e.g. keyward/prod (or KEYWARD_JWKS_URL, for asymmetric keys)",
    );
    keys = { kind: "secrets", prefix };
  }
  const url = read.url("UPSTASH_REDIS_REST_URL");
  const token = read.string("UPSTASH_REDIS_REST_TOKEN");
  const secretId = read.string("KEYWARD_UPSTASH_SECRET_ID");
  let upstash: UpstashSource = { kind: "secret", secretId: secretId ?? "" };
  if (secretId === undefined) {
    if (url === undefined || token === undefined) {
      read.problem(
        'KEYWARD_UPSTASH_SECRET_ID (a secret holding {"url","token"}) or both UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN are required',
      );
    }
    upstash = { kind: "env", url: url ?? "", token: token ?? "" };
  }
  const config: VerifierConfig<KeySource> = {
    keys,
    upstash,
    ...readVerificationSettings(read),
  };
  read.done();
  return config;
}

/**
 * The verification settings (docs/settings.md), every problem a problem of `read`
 * (reported with the others at `read.done()`).
 */
export function readVerificationSettings(read: EnvReader): VerificationSettings {
  const header = VERIFICATION_SETTINGS.tokenHeader;
  const tokenHeader = (readText(read, header) ?? "authorization").toLowerCase();
  if (!/^[a-z0-9-]+$/.test(tokenHeader)) read.problem(`${header.env} must be an HTTP header name`);
  const tokenCookie = readText(read, VERIFICATION_SETTINGS.tokenCookie);
  if (tokenCookie !== undefined && !/^[A-Za-z0-9_.-]+$/.test(tokenCookie))
    read.problem(`${VERIFICATION_SETTINGS.tokenCookie.env} must be a cookie name`);
  const issuer = readText(read, VERIFICATION_SETTINGS.issuer);
  const audience = readText(read, VERIFICATION_SETTINGS.audience);
  const tokenType = readText(read, VERIFICATION_SETTINGS.tokenType);
  const settings: VerificationSettings = {
    redisPrefix: readRedisPrefix(read),
    ...(issuer === undefined ? {} : { issuer }),
    ...(audience === undefined ? {} : { audience }),
    ...(tokenType === undefined ? {} : { tokenType }),
    clockToleranceSeconds: readNumber(read, VERIFICATION_SETTINGS.clockTolerance),
    maxTokenLifetimeSeconds: readNumber(read, VERIFICATION_SETTINGS.maxTokenLifetime),
    keyringCacheTtlSeconds: readNumber(read, VERIFICATION_SETTINGS.keyringCacheTtl),
    keyringMaxStaleSeconds: readNumber(read, VERIFICATION_SETTINGS.keyringMaxStale),
    unknownKidCooldownSeconds: readNumber(read, VERIFICATION_SETTINGS.unknownKidCooldown),
    unknownKidWaitMs: readNumber(read, VERIFICATION_SETTINGS.unknownKidWait),
    revocationBudgetMs: readNumber(read, VERIFICATION_SETTINGS.revocationBudget),
    failureMode: readChoice(read, VERIFICATION_SETTINGS.failureMode),
    revocationMirror: readChoice(read, VERIFICATION_SETTINGS.revocationMirror) === "on",
    revocationFreshnessMs: readNumber(read, VERIFICATION_SETTINGS.revocationFreshness),
    revocationMirrorMaxRules: readNumber(read, VERIFICATION_SETTINGS.revocationMirrorMaxRules),
    receiptWindowSeconds: readNumber(read, VERIFICATION_SETTINGS.receiptWindow),
    tokenHeader,
    ...(tokenCookie === undefined ? {} : { tokenCookie }),
  };
  if (
    settings.revocationMirror &&
    settings.revocationFreshnessMs + settings.revocationBudgetMs > REVOCATION_PROMISE_MS
  )
    read.problem(
      `${VERIFICATION_SETTINGS.revocationFreshness.env} plus ${VERIFICATION_SETTINGS.revocationBudget.env} must be at most ${REVOCATION_PROMISE_MS}: a revocation is enforced within 1 s of its answer (lower the freshness bound, or set ${VERIFICATION_SETTINGS.revocationMirror.env}=off)`,
    );
  return settings;
}

/** The prefix of every key in Upstash (`KEYWARD_REDIS_PREFIX`), checked. */
export function readRedisPrefix(read: EnvReader): string {
  const prefix = readText(read, VERIFICATION_SETTINGS.redisPrefix) ?? DEFAULT_REDIS_PREFIX;
  const problem = redisPrefixProblem(prefix, VERIFICATION_SETTINGS.redisPrefix.env);
  if (problem !== undefined) read.problem(problem);
  return prefix;
}
