import type { FailureMode } from "../revocation/guard.ts";
import { type Environment, EnvReader } from "./env.ts";

/** Where the Upstash credentials come from: the environment (local) or a secret of their own (AWS). */
export type UpstashSource =
  | { readonly kind: "env"; readonly url: string; readonly token: string }
  | { readonly kind: "secret"; readonly secretId: string };

/** Everything a verifier (the Lambda authorizer, the local stack's protected route) is configured with. */
export interface VerifierConfig {
  readonly secretPrefix: string;
  readonly upstash: UpstashSource;
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
  /** Header carrying the token; `authorization` means the Bearer scheme. */
  readonly tokenHeader: string;
  readonly tokenCookie?: string;
}

/** Documented in README "Authorizer settings"; every problem is reported at once. */
export function readVerifierConfig(env: Environment): VerifierConfig {
  const read = new EnvReader(env);
  const secretPrefix = read.required(
    "KEYWARD_SECRET_PREFIX",
    "the Secrets Manager name prefix of the keyring, e.g. keyward/prod",
  );
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
  const tokenHeader = (read.string("KEYWARD_TOKEN_HEADER") ?? "authorization").toLowerCase();
  if (!/^[a-z0-9-]+$/.test(tokenHeader))
    read.problem("KEYWARD_TOKEN_HEADER must be an HTTP header name");
  const tokenCookie = read.string("KEYWARD_TOKEN_COOKIE");
  if (tokenCookie !== undefined && !/^[A-Za-z0-9_.-]+$/.test(tokenCookie)) {
    read.problem("KEYWARD_TOKEN_COOKIE must be a cookie name");
  }
  const issuer = read.string("KEYWARD_ISSUER");
  const audience = read.string("KEYWARD_AUDIENCE");
  const tokenType = read.string("KEYWARD_TOKEN_TYPE");
  const config: VerifierConfig = {
    secretPrefix,
    upstash,
    redisPrefix: read.string("KEYWARD_REDIS_PREFIX", "kw:") ?? "kw:",
    ...(issuer === undefined ? {} : { issuer }),
    ...(audience === undefined ? {} : { audience }),
    ...(tokenType === undefined ? {} : { tokenType }),
    clockToleranceSeconds: read.integer("KEYWARD_CLOCK_TOLERANCE_SECONDS", 5, 0, 300),
    maxTokenLifetimeSeconds: read.integer(
      "KEYWARD_MAX_TOKEN_LIFETIME_SECONDS",
      86_400,
      60,
      30 * 86_400,
    ),
    keyringCacheTtlSeconds: read.integer("KEYWARD_KEYRING_CACHE_TTL_SECONDS", 60, 1, 3600),
    keyringMaxStaleSeconds: read.integer("KEYWARD_KEYRING_MAX_STALE_SECONDS", 900, 0, 86_400),
    unknownKidCooldownSeconds: read.integer("KEYWARD_UNKNOWN_KID_COOLDOWN_SECONDS", 10, 1, 3600),
    unknownKidWaitMs: read.integer("KEYWARD_UNKNOWN_KID_WAIT_MS", 1000, 10, 5000),
    revocationBudgetMs: read.integer("KEYWARD_REVOCATION_BUDGET_MS", 100, 10, 5000),
    failureMode: read.oneOf(
      "KEYWARD_REVOCATION_FAILURE_MODE",
      ["closed", "open"] as const,
      "closed",
    ),
    tokenHeader,
    ...(tokenCookie === undefined ? {} : { tokenCookie }),
  };
  read.done();
  return config;
}
