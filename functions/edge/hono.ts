/**
 * `keyward/hono`: the keyward middleware for a Hono app of your own, on Node or on Workers
 * (docs/edge.md). It verifies as the authorizer does: the keyring cached, the revocation rules
 * mirrored from Upstash, refusals with their reason, never the token in an answer or a log line.
 */
import type { MiddlewareHandler } from "hono";
import { type Environment, EnvReader } from "../../shared/config/env.ts";
import { systemClock } from "../../shared/kernel/clock.ts";
import { ConfigInvalid } from "../../shared/kernel/errors.ts";
import { createLogger, type LineWriter, stdoutWriter } from "../../shared/observability/log.ts";
import { type KeywardEnv, keyward as keywardMiddleware } from "./middleware.ts";
import {
  coloOf,
  type EdgeVerification,
  edgeVerification,
  readEdgeVerifierConfig,
} from "./verification.ts";

export { ConfigInvalid, KeywardError } from "../../shared/kernel/errors.ts";
export type { KeywardEnv, KeywardIdentity } from "./middleware.ts";

export interface KeywardOptions {
  /**
   * The settings, as the deployed verifiers read them (docs/settings.md): `process.env` on Node;
   * on Workers, `env` from `cloudflare:workers`. Keys from `KEYWARD_SECRET_PREFIX` (with
   * `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`) or `KEYWARD_JWKS_URL`; the rules
   * from `UPSTASH_REDIS_REST_URL` and `UPSTASH_REDIS_REST_TOKEN`.
   */
  readonly env: Environment;
  /** `realm` of the `WWW-Authenticate` challenge. Default "keyward". */
  readonly realm?: string;
  /** Where the JSON log lines go (one per refusal or degraded allow). Default stdout. */
  readonly write?: LineWriter;
}

/**
 * Lets through only requests whose token keyward accepts, with the verified claims in
 * `c.get("keyward")`; a refused token is 401 with its reason, a verifier that could not decide
 * 503 with `Retry-After`. The settings are checked here, at construction: a `ConfigInvalid`
 * lists every problem. The caches are made at the first request (Workers allow no I/O before)
 * and shared by every later one; on Workers their background work is kept alive with
 * `waitUntil`.
 */
export function keyward(options: KeywardOptions): MiddlewareHandler<KeywardEnv> {
  if (typeof options !== "object" || options === null || typeof options.env !== "object")
    throw new ConfigInvalid([
      "keyward(): options.env is required: process.env on Node, env from cloudflare:workers on Workers",
    ]);
  const { env } = options;
  const config = readEdgeVerifierConfig(env, new EnvReader(env));
  const write = options.write ?? stdoutWriter;
  let edge: EdgeVerification | undefined;
  let colo: string | undefined;
  const verification = () => {
    edge ??= edgeVerification(
      config,
      env,
      systemClock,
      createLogger("keyward-hono", write),
      write,
      colo,
    );
    return edge.middleware;
  };
  const handler = keywardMiddleware({
    authenticate: (token) => verification().authenticate(token),
    onResult: (result) => verification().onResult?.(result),
    tokenSource: {
      header: config.tokenHeader,
      ...(config.tokenCookie === undefined ? {} : { cookie: config.tokenCookie }),
    },
    ...(options.realm === undefined ? {} : { realm: options.realm }),
  });
  return async (c, next) => {
    colo ??= coloOf(c.req.raw);
    const answer = await handler(c, next);
    const pending = edge?.pending() ?? [];
    if (pending.length > 0) keepAlive(c, pending);
    return answer;
  };
}

/** On Workers, background work outlives the answer only through `waitUntil`; Node needs nothing. */
function keepAlive(
  c: { executionCtx: { waitUntil(work: Promise<unknown>): void } },
  work: Promise<unknown>[],
) {
  let context: { waitUntil(work: Promise<unknown>): void } | undefined;
  try {
    context = c.executionCtx;
  } catch {
    return; // Node: Hono has no execution context, and the process keeps running anyway.
  }
  for (const promise of work) context.waitUntil(promise.catch(() => undefined));
}
