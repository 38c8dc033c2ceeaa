import { Hono } from "hono";
import { type Environment, EnvReader } from "../../shared/config/env.ts";
import type { KeySource, VerifierConfig } from "../../shared/config/verifier-config.ts";
import { type Clock, systemClock } from "../../shared/kernel/clock.ts";
import { createLogger, type LineWriter, stdoutWriter } from "../../shared/observability/log.ts";
import { readOrLog, type Verification } from "../../shared/verification/assembly.ts";
import { errorAnswer, errorBody } from "../http/errors.ts";
import { type KeywardEnv, keyward } from "./middleware.ts";
import { edgeVerification, readEdgeVerifierConfig } from "./verification.ts";

/** Headers the Worker sets for the origin; a caller's own copies are dropped, never passed on. */
export const IDENTITY_HEADERS = { sub: "x-keyward-sub", scope: "x-keyward-scope" } as const;

export interface EdgeOverrides {
  readonly clock?: Clock;
  readonly write?: LineWriter;
  /** How the Worker reaches the origin (a service binding's `fetch`, or the global one). */
  readonly fetchOrigin?: (request: Request) => Promise<Response>;
}

export interface EdgeVerifier {
  readonly app: Hono<KeywardEnv>;
  readonly verification: Verification;
  /** Work a request started that must outlive its answer (a keyring reload, a usage flush). */
  readonly pending: () => Promise<unknown>[];
}

export interface EdgeConfig extends VerifierConfig<KeySource> {
  /** Where accepted requests go, e.g. https://origin.example.com (path and query are kept). */
  readonly origin: string;
}

/**
 * Documented in docs/edge.md: the authorizer's settings, plus `KEYWARD_ORIGIN`, and keys from
 * `KEYWARD_JWKS_URL` (asymmetric) or Secrets Manager (`KEYWARD_SECRET_PREFIX` with the AWS
 * variables as Worker secrets). Upstash credentials come as Worker secrets
 * (`UPSTASH_REDIS_REST_URL`, `UPSTASH_REDIS_REST_TOKEN`). Every problem is reported at once.
 */
export function readEdgeConfig(env: Environment): EdgeConfig {
  const read = new EnvReader(env);
  const origin = read.url("KEYWARD_ORIGIN");
  if (origin === undefined && read.string("KEYWARD_ORIGIN") === undefined)
    read.problem("KEYWARD_ORIGIN is required: the URL accepted requests are sent to");
  const config = readEdgeVerifierConfig(env, read);
  return { ...config, origin: origin ?? "" };
}

/**
 * The edge verifier: the keyward middleware in front of every path, then the request as it came
 * (method, path, query, headers, body) to the origin, with the caller's `sub` and `scope` in
 * `X-Keyward-Sub` and `X-Keyward-Scope`. One per isolate: its caches (keyring, verified
 * signatures, usage counts) live as long as the isolate.
 */
export function createEdgeVerifier(
  env: Environment,
  overrides: EdgeOverrides = {},
  colo?: string,
): EdgeVerifier {
  const write = overrides.write ?? stdoutWriter;
  const log = createLogger("keyward-edge", write);
  const config = readOrLog(() => readEdgeConfig(env), log);
  const clock = overrides.clock ?? systemClock;
  const edge = edgeVerification(config, env, clock, log, write, colo);
  const fetchOrigin = overrides.fetchOrigin ?? ((request: Request) => fetch(request));
  const origin = new URL(config.origin);

  const app = new Hono<KeywardEnv>();
  app.onError(errorAnswer);
  app.use("*", keyward(edge.middleware));
  app.all("*", async (c) => {
    const target = originTarget(origin, new URL(c.req.url));
    if (target === undefined)
      return c.json(
        errorBody("bad_request", "the request path does not name a path of the origin"),
        400,
      );
    const headers = new Headers(c.req.raw.headers);
    // The origin's own host, not the edge's; and only the Worker says who the caller is.
    headers.delete("host");
    for (const name of [...headers.keys()])
      if (name.toLowerCase().startsWith("x-keyward-")) headers.delete(name);
    const { claims } = c.get("keyward");
    if (typeof claims.sub === "string") headers.set(IDENTITY_HEADERS.sub, claims.sub);
    if (typeof claims.scope === "string") headers.set(IDENTITY_HEADERS.scope, claims.scope);
    const method = c.req.method;
    try {
      return await fetchOrigin(
        new Request(target, {
          method,
          headers,
          ...(method === "GET" || method === "HEAD" ? {} : { body: c.req.raw.body }),
          redirect: "manual",
        }),
      );
    } catch (error) {
      log.warn("origin did not answer", { error: (error as Error).name });
      return c.json(errorBody("origin_unavailable", "the origin did not answer"), 502);
    }
  });

  return { app, verification: edge.verification, pending: edge.pending };
}

/**
 * Where an accepted request goes: the origin's own scheme and host, its path joined with the
 * request's path, the request's query. Never resolved as a URL reference: a path such as
 * `//attacker.example/x` or `/\\attacker.example/x` would otherwise name another host, and the
 * caller's token would go there. Anything that still ends up elsewhere is undefined (a 400).
 */
export function originTarget(origin: URL, incoming: URL): URL | undefined {
  const target = new URL(origin.href);
  target.pathname = `${origin.pathname.replace(/\/+$/, "")}${incoming.pathname}`;
  target.search = incoming.search;
  target.hash = "";
  return target.origin === origin.origin ? target : undefined;
}
