import { Hono } from "hono";
import type { OperationDeps } from "../../shared/operations/deps.ts";
import { errorAnswer, errorBody } from "../http/errors.ts";
import { createJwksApp, jwksMaxAge } from "../jwks/app.ts";
import { type Env, type OpsAppOptions, opsContext } from "./context.ts";
import { journalRoutes } from "./journal.ts";
import { keyRoutes } from "./keys.ts";
import { revocationRoutes } from "./revocations.ts";
import { sessionRoutes } from "./sessions.ts";

export type { OpsAppOptions } from "./context.ts";
export { MAX_BATCH } from "./revocations.ts";

/**
 * The ops API under /v1, runtime-agnostic: `app.fetch` serves it in Node (the local stack) and the
 * Lambda adapter in AWS. Every answer is JSON; every error is `{"error": {"code", "message"}}`.
 * Handlers validate and shape; the operations themselves live in shared/operations. One file per
 * resource: keys, revocations, journal, sessions.
 */
export function createOpsApp(deps: OperationDeps, options: OpsAppOptions): Hono<Env> {
  const app = new Hono<Env>();
  app.onError(errorAnswer);
  app.notFound((c) =>
    c.json(errorBody("not_found", `no route ${c.req.method} ${c.req.path}`), 404),
  );

  app.get("/v1/health", (c) => c.json({ status: "ok" }));

  app.route(
    "/",
    createJwksApp({
      keyring: () => deps.keyrings.load(),
      maxAgeSeconds: jwksMaxAge(deps.policy.keyringCacheTtlMs),
    }),
  );

  const ctx = opsContext(deps, options);
  app.route("/", keyRoutes(ctx));
  app.route("/", revocationRoutes(ctx));
  app.route("/", journalRoutes(ctx));
  app.route("/", sessionRoutes(ctx));
  return app;
}
