import { Hono } from "hono";
import {
  lifetimeOfSample,
  SECRET_ENCODINGS,
  type SecretEncoding,
} from "../../shared/keyring/import-legacy.ts";
import { KID_PATTERN } from "../../shared/keyring/key.ts";
import { nextTransition, planAhead } from "../../shared/keyring/schedule.ts";
import { importSecret, reinstate, rollbackKeys, rotate } from "../../shared/operations/keys.ts";
import { ApiError } from "../http/errors.ts";
import { strictObject, text } from "../http/input.ts";
import { type Env, iso, type OpsContext } from "./context.ts";
import { statusOf } from "./statuses.ts";

/** `/v1/keys…` and `/v1/plan`: the keyring, its plan, and the key operations (admin). */
export function keyRoutes(ctx: OpsContext): Hono<Env> {
  const app = new Hono<Env>();
  const { deps, options, authenticated, body, json, keyringOrFail } = ctx;

  app.get("/v1/keys", authenticated("viewer"), async (c) => {
    const keyring = await keyringOrFail();
    const usage =
      options.usage === undefined
        ? undefined
        : await options.usage.verificationsByKid(deps.clock.now()).catch(() => undefined);
    const total = usage === undefined ? 0 : Object.values(usage).reduce((sum, n) => sum + n, 0);
    const stale = await options.usage?.staleSignersByKid?.(deps.clock.now()).catch(() => undefined);
    const shareOf = (kid: string) =>
      usage === undefined || total === 0
        ? null
        : Math.round(((usage[kid] ?? 0) / total) * 10_000) / 10_000;
    return c.json({
      revision: keyring.revision,
      updatedAt: iso(keyring.updatedAt),
      ...(keyring.rollout ? { rollout: keyring.rollout } : {}),
      keys: keyring.keys.map((key) => ({
        kid: key.kid,
        alg: key.alg,
        status: key.status,
        compromised: key.compromised,
        legacy: key.legacy,
        createdAt: iso(key.createdAt),
        ...(key.activatedAt === undefined ? {} : { activatedAt: iso(key.activatedAt) }),
        ...(key.deactivatedAt === undefined ? {} : { deactivatedAt: iso(key.deactivatedAt) }),
        ...(key.retiredAt === undefined ? {} : { retiredAt: iso(key.retiredAt) }),
        ...(key.destroyedAt === undefined ? {} : { destroyedAt: iso(key.destroyedAt) }),
        share: shareOf(key.kid),
        // Tokens signed with it after it stopped signing (this hour and the last): a login
        // service that did not follow a rotation. Null when not measured.
        staleSigner: stale === undefined ? null : (stale[key.kid] ?? 0),
        next: nextTransition(key, deps.policy),
      })),
    });
  });

  app.get("/v1/plan", authenticated("viewer"), async (c) => {
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
    return c.json({ days, transitions });
  });

  app.post("/v1/keys/rotate", authenticated("admin"), body, async (c) => {
    const fields = await json(c, ["mode", "reason"]);
    const mode = fields.mode ?? "graceful";
    if (mode !== "graceful" && mode !== "immediate")
      throw new ApiError(400, "invalid_request", "body.mode must be graceful or immediate");
    const result = await rotate(deps, {
      mode,
      reason: text(fields, "reason", 500),
      actor: c.get("operator").name,
    });
    if (!result.ok) throw new ApiError(statusOf(result.code), result.code, result.message);
    const { keyring: _, ...outcome } = result.value;
    return c.json(outcome, mode === "graceful" ? 202 : 200);
  });

  app.post("/v1/keys/rollback", authenticated("admin"), body, async (c) => {
    const fields = await json(c, ["reason"]);
    const result = await rollbackKeys(deps, {
      reason: text(fields, "reason", 500),
      actor: c.get("operator").name,
    });
    if (!result.ok) throw new ApiError(statusOf(result.code), result.code, result.message);
    return c.json({ current: result.value.kid });
  });

  app.post("/v1/keys/:kid/reinstate", authenticated("admin"), body, async (c) => {
    const kid = c.req.param("kid");
    if (!KID_PATTERN.test(kid))
      throw new ApiError(400, "invalid_request", "the kid in the path is not a valid kid");
    const fields = await json(c, ["reason"]);
    const result = await reinstate(deps, {
      kid,
      reason: text(fields, "reason", 500),
      actor: c.get("operator").name,
    });
    if (!result.ok) throw new ApiError(statusOf(result.code), result.code, result.message);
    return c.json({ kid, status: "previous" });
  });

  app.post("/v1/keys/import", authenticated("admin"), body, async (c) => {
    const fields = await json(c, [
      "secret",
      "encoding",
      "reason",
      "tokenLifetimeSeconds",
      "sampleToken",
    ]);
    const encoding = (fields.encoding ?? "utf8") as SecretEncoding;
    if (!SECRET_ENCODINGS.includes(encoding))
      throw new ApiError(
        400,
        "invalid_request",
        `body.encoding must be one of ${SECRET_ENCODINGS.join(", ")}`,
      );
    const secret = text(fields, "secret", 4096);
    if ((fields.tokenLifetimeSeconds === undefined) === (fields.sampleToken === undefined)) {
      throw new ApiError(
        400,
        "invalid_request",
        "body needs exactly one of tokenLifetimeSeconds (how long the legacy system's tokens live) and sampleToken (one of its tokens, to read it from)",
      );
    }
    let tokenLifetimeSeconds: number;
    if (fields.sampleToken !== undefined) {
      const read = await lifetimeOfSample(secret, encoding, text(fields, "sampleToken", 16_384));
      if (!read.ok) throw new ApiError(422, "sample_invalid", read.message);
      tokenLifetimeSeconds = read.seconds;
    } else {
      tokenLifetimeSeconds = Number(fields.tokenLifetimeSeconds);
      if (
        typeof fields.tokenLifetimeSeconds !== "number" ||
        !Number.isInteger(tokenLifetimeSeconds) ||
        tokenLifetimeSeconds < 1 ||
        tokenLifetimeSeconds > 366 * 86_400
      ) {
        throw new ApiError(
          400,
          "invalid_request",
          "body.tokenLifetimeSeconds must be a whole number of seconds from 1 to 31622400",
        );
      }
    }
    const result = await importSecret(deps, {
      secret,
      encoding,
      tokenLifetimeSeconds,
      reason: text(fields, "reason", 500),
      actor: c.get("operator").name,
    });
    if (!result.ok) throw new ApiError(statusOf(result.code), result.code, result.message);
    const { kid, status, verifyOnly } = result.value;
    return c.json(
      {
        kid,
        status,
        verifyOnly,
        tokenLifetimeSeconds,
        ...(verifyOnly
          ? {
              warning:
                "the secret is under 32 bytes, too weak to sign with: it verifies the legacy system's tokens and never signs; a generated key signs every new token, so the login service must sign through keyward from now on. The legacy key retires once its tokens are no longer seen.",
            }
          : {}),
      },
      201,
    );
  });

  return app;
}
