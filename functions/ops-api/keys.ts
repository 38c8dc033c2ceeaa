import { Hono } from "hono";
import { SECRET_ENCODINGS, type SecretEncoding } from "../../shared/keyring/import-legacy.ts";
import { KID_PATTERN } from "../../shared/keyring/key.ts";
import { planAhead } from "../../shared/keyring/schedule.ts";
import { keyringKindOf, type OperationDeps } from "../../shared/operations/deps.ts";
import { forceActivation } from "../../shared/operations/force-activation.ts";
import { keyImpact } from "../../shared/operations/impact.ts";
import { importSecret } from "../../shared/operations/import.ts";
import { initKeyring } from "../../shared/operations/init.ts";
import { reinstate, rollbackKeys } from "../../shared/operations/rollback.ts";
import { rotate } from "../../shared/operations/rotate.ts";
import { keyringStatus } from "../../shared/operations/status.ts";
import { ApiError } from "../http/errors.ts";
import { strictObject, text } from "../http/input.ts";
import type { Env, OpsContext } from "./context.ts";
import { refusedError } from "./statuses.ts";
import type {
  ForcedActivationResponse,
  ImpactResponse,
  ImportResponse,
  InitResponse,
  KeysResponse,
  PlanResponse,
  ReinstateResponse,
  RollbackResponse,
  RotateResponse,
} from "./wire.ts";

/**
 * `/keys…` and `/plan` of one keyring: its keys, a key's impact, its plan, and the key operations
 * (admin). Mounted
 * under `/v1` for the signing keyring and under `/v1/keyrings/<name>` for each keyring.
 */
export function keyRoutes(ctx: OpsContext, deps: OperationDeps): Hono<Env> {
  const app = new Hono<Env>();
  const { options, authenticated, body, json } = ctx;
  const sessions = keyringKindOf(deps).protects === "sessions";
  const keyringOrFail = () => ctx.keyringOrFail(deps);
  // What the verifiers said, for the operations that read it (an emergency's reach, a forced
  // activation's laggards).
  const withEvidence = {
    ...deps,
    ...(options.receipts === undefined ? {} : { receipts: options.receipts }),
    ...(options.jwksConsumers === undefined ? {} : { jwksConsumers: options.jwksConsumers }),
  };

  app.get("/keys", authenticated("viewer"), async (c) =>
    c.json(
      (await keyringStatus(
        await keyringOrFail(),
        deps.policy,
        options.usage ?? {},
        deps.clock.now(),
      )) satisfies KeysResponse,
    ),
  );

  // Who would be refused if the key retired now: its consumers of the last day.
  app.get("/keys/:kid/impact", authenticated("viewer"), async (c) => {
    const kid = kidInPath(c.req.param("kid"));
    if (options.usage === undefined)
      throw new ApiError(404, "not_found", "this deployment keeps no usage figures");
    const result = await keyImpact(
      await keyringOrFail(),
      kid,
      deps.policy,
      options.usage,
      deps.clock.now(),
    );
    if (!result.ok) throw refusedError(result);
    return c.json(result.value satisfies ImpactResponse);
  });

  app.get("/plan", authenticated("viewer"), async (c) => {
    const query = strictObject(c.req.query(), ["days"], "query");
    const days = query.days === undefined ? 365 : Number(query.days);
    if (!(Number.isInteger(days) && days >= 1 && days <= 3650)) {
      throw new ApiError(
        400,
        "invalid_request",
        "query.days must be a whole number from 1 to 3650",
      );
    }
    const transitions = await planAhead(
      await keyringOrFail(),
      deps.clock.now(),
      days,
      deps.policy,
      deps.random,
    );
    return c.json({ days, transitions } satisfies PlanResponse);
  });

  app.post("/keys/rotate", authenticated("admin"), body, async (c) => {
    const fields = await json(c, ["mode", "reason"]);
    const mode = fields.mode ?? "graceful";
    if (mode !== "graceful" && mode !== "immediate")
      throw new ApiError(400, "invalid_request", "body.mode must be graceful or immediate");
    // An emergency waits (up to 5 s) to say which live verifiers enforce its key rules.
    const result = await rotate(withEvidence, {
      mode,
      reason: text(fields, "reason", 500),
      actor: c.get("operator").name,
    });
    if (!result.ok) throw refusedError(result);
    const { keyring: _, ...outcome } = result.value;
    return c.json(outcome satisfies RotateResponse, mode === "graceful" ? 202 : 200);
  });

  app.post("/keys/rollback", authenticated("admin"), body, async (c) => {
    const fields = await json(c, ["reason"]);
    const result = await rollbackKeys(deps, {
      reason: text(fields, "reason", 500),
      actor: c.get("operator").name,
    });
    if (!result.ok) throw refusedError(result);
    return c.json({ current: result.value.kid } satisfies RollbackResponse);
  });

  app.post("/keys/:kid/reinstate", authenticated("admin"), body, async (c) => {
    const kid = kidInPath(c.req.param("kid"));
    const fields = await json(c, ["reason"]);
    const result = await reinstate(deps, {
      kid,
      reason: text(fields, "reason", 500),
      actor: c.get("operator").name,
    });
    if (!result.ok) throw refusedError(result);
    return c.json({ kid, status: "previous" } satisfies ReinstateResponse);
  });

  // Only forced: without `force` a pending key signs when the rotation function finds every live
  // verifier holding it; this is the operator's way past a PropagationIncomplete.
  app.post("/keys/:kid/activate", authenticated("admin"), body, async (c) => {
    const kid = kidInPath(c.req.param("kid"));
    const fields = await json(c, ["force", "reason"]);
    if (fields.force !== true)
      throw new ApiError(
        400,
        "invalid_request",
        "body.force must be true: a pending key signs by itself once every live verifier holds it; forcing goes ahead without that evidence",
      );
    const result = await forceActivation(withEvidence, {
      kid,
      reason: text(fields, "reason", 500),
      actor: c.get("operator").name,
    });
    if (!result.ok) throw refusedError(result);
    const { keyring: _, ...outcome } = result.value;
    return c.json(outcome satisfies ForcedActivationResponse);
  });

  app.post("/keys/import", authenticated("admin"), body, async (c) => {
    const lifetimeField = sessions ? "sessionLifetimeSeconds" : "tokenLifetimeSeconds";
    const fields = await json(
      c,
      sessions
        ? ["secret", "reason", lifetimeField]
        : ["secret", "encoding", "reason", lifetimeField, "sampleToken"],
    );
    const encoding = (fields.encoding ?? (sessions ? "base64" : "utf8")) as SecretEncoding;
    if (!SECRET_ENCODINGS.includes(encoding))
      throw new ApiError(
        400,
        "invalid_request",
        `body.encoding must be one of ${SECRET_ENCODINGS.join(", ")}`,
      );
    const given = fields[lifetimeField];
    if (given !== undefined && !isWholeSeconds(given))
      throw new ApiError(
        400,
        "invalid_request",
        `body.${lifetimeField} must be a whole number of seconds from 1 to 31622400`,
      );
    if (!sessions && (given === undefined) === (fields.sampleToken === undefined))
      throw new ApiError(
        400,
        "invalid_request",
        "body needs exactly one of tokenLifetimeSeconds (how long the legacy system's tokens live) and sampleToken (one of its tokens, to read it from)",
      );
    const result = await importSecret(deps, {
      secret: text(fields, "secret", 4096),
      encoding,
      ...(given !== undefined
        ? { tokenLifetimeSeconds: given }
        : fields.sampleToken !== undefined
          ? { sampleToken: text(fields, "sampleToken", 16_384) }
          : {}),
      reason: text(fields, "reason", 500),
      actor: c.get("operator").name,
    });
    if (!result.ok) throw refusedError(result);
    const { kid, status, verifyOnly, lifetimeSeconds, warning } = result.value;
    return c.json(
      {
        kid,
        status,
        ...(sessions ? {} : { verifyOnly }),
        [lifetimeField]: lifetimeSeconds,
        ...(warning === undefined ? {} : { warning }),
      } satisfies ImportResponse,
      201,
    );
  });

  return app;
}

/** A lifetime in a request body: whole seconds, from 1 s to a (leap) year. */
function isWholeSeconds(value: unknown): value is number {
  return (
    typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 366 * 86_400
  );
}

/**
 * `POST /v1/keyrings/<name>/init` (admin): the keyring with one generated key, current at once,
 * for a system with no secret to migrate; 409 `keyring_exists` once it exists.
 */
export function initRoutes(ctx: OpsContext, deps: OperationDeps): Hono<Env> {
  const app = new Hono<Env>();
  app.post("/init", ctx.authenticated("admin"), ctx.body, async (c) => {
    const fields = await ctx.json(c, ["reason"]);
    const result = await initKeyring(deps, {
      reason: text(fields, "reason", 500),
      actor: c.get("operator").name,
    });
    if (!result.ok) throw refusedError(result);
    return c.json(
      {
        keyring: deps.keyringName,
        kid: result.value.kid,
        status: "current",
      } satisfies InitResponse,
      201,
    );
  });
  return app;
}

/** The kid a route's path names, or a 400 when it is not one. */
function kidInPath(kid: string): string {
  if (!KID_PATTERN.test(kid))
    throw new ApiError(400, "invalid_request", "the kid in the path is not a valid kid");
  return kid;
}
