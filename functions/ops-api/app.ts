import { Hono } from "hono";
import { isKeyringName, KEYRING_NAMES, type KeyringName } from "../../shared/keyring/names.ts";
import type { OperationDeps } from "../../shared/operations/deps.ts";
import { errorAnswer, errorBody } from "../http/errors.ts";
import { createJwksApp, jwksMaxAge, publicKeysOf } from "../jwks/app.ts";
import { type Env, type OpsAppOptions, opsContext } from "./context.ts";
import { familyRoutes } from "./families.ts";
import { auditRoutes, journalRoutes } from "./journal.ts";
import { initRoutes, keyRoutes } from "./keys.ts";
import { revocationRoutes } from "./revocations.ts";
import { usageRoutes } from "./usage.ts";
import { verifierRoutes } from "./verifiers.ts";
import type { WhoamiResponse } from "./wire.ts";

export type { OpsAppOptions } from "./context.ts";
export { MAX_BATCH } from "./revocations.ts";

/**
 * The ops API under /v1, runtime-agnostic: `app.fetch` serves it in Node (the local stack) and the
 * Lambda adapter in AWS. Every answer is JSON; every error is `{"error": {"code", "message"}}`.
 * Handlers validate and shape; the operations themselves live in shared/operations. One file per
 * resource: keys (and plan), journal (and audit), revocations, families, verifiers. The key
 * routes and the rotation journal are served per keyring: `/v1/keyrings/<name>/keys…`, the
 * signing keyring's also at `/v1/keys…` (as before there were two).
 */
export function createOpsApp(deps: OperationDeps, options: OpsAppOptions): Hono<Env> {
  const app = new Hono<Env>();
  app.onError(errorAnswer);
  app.notFound((c) =>
    c.json(errorBody("not_found", `no route ${c.req.method} ${c.req.path}`), 404),
  );

  app.get("/v1/health", (c) => c.json({ status: "ok" }));

  const ctx = opsContext(deps, options);
  // Who the credential is: the console shows a viewer no action it may not take.
  app.get("/v1/whoami", ctx.authenticated("viewer"), (c) => {
    const { name, role } = c.get("operator");
    return c.json({ name, role } satisfies WhoamiResponse);
  });

  app.route(
    "/",
    createJwksApp({
      keys: async () => publicKeysOf(await deps.keyrings.load()),
      maxAgeSeconds: jwksMaxAge(deps.policy.keyringCacheTtlMs),
      ...(options.jwksRecording === undefined ? {} : { consumers: options.jwksRecording }),
    }),
  );

  // Each keyring under /v1/keyrings/<name>; the signing keyring's routes also at /v1 itself.
  const keyrings: Partial<Record<KeyringName, OperationDeps>> = {
    ...options.keyrings,
    signing: deps,
  };
  const keyringApp = (keyring: OperationDeps) =>
    new Hono<Env>()
      .route("/", keyRoutes(ctx, keyring))
      .route("/", journalRoutes(ctx, keyring))
      .route("/", usageRoutes(ctx, keyring));
  app.route("/v1", keyringApp(deps));
  for (const name of KEYRING_NAMES) {
    const keyring = keyrings[name];
    if (keyring !== undefined)
      app
        .route(`/v1/keyrings/${name}`, keyringApp(keyring))
        .route(`/v1/keyrings/${name}`, initRoutes(ctx, keyring));
  }
  app.all("/v1/keyrings/:name/*", (c) => {
    const name = c.req.param("name");
    const served = KEYRING_NAMES.filter((n) => keyrings[n] !== undefined);
    if (isKeyringName(name) && keyrings[name] !== undefined)
      return c.json(errorBody("not_found", `no route ${c.req.method} ${c.req.path}`), 404);
    return c.json(
      errorBody(
        "unknown_keyring",
        isKeyringName(name)
          ? `the ${name} keyring is not served here (keyrings: ${served.join(", ")})`
          : `no keyring named "${name.slice(0, 40)}" (keyrings: ${served.join(", ")})`,
      ),
      404,
    );
  });
  app.route("/", revocationRoutes(ctx));
  app.route("/", auditRoutes(ctx));
  app.route("/", familyRoutes(ctx));
  app.route("/", verifierRoutes(ctx));
  return app;
}
