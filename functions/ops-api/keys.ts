import { Hono } from "hono";
import { SECOND } from "../../shared/kernel/clock.ts";
import {
  lifetimeOfSample,
  SECRET_ENCODINGS,
  type SecretEncoding,
} from "../../shared/keyring/import-legacy.ts";
import { KID_PATTERN } from "../../shared/keyring/key.ts";
import { sharesOf } from "../../shared/keyring/policy.ts";
import { nextTransition, planAhead } from "../../shared/keyring/schedule.ts";
import { keyringKindOf, type OperationDeps } from "../../shared/operations/deps.ts";
import { importSecret, reinstate, rollbackKeys, rotate } from "../../shared/operations/keys.ts";
import { ApiError } from "../http/errors.ts";
import { strictObject, text } from "../http/input.ts";
import { type Env, iso, type OpsContext } from "./context.ts";
import { statusOf } from "./statuses.ts";

/**
 * `/keys…` and `/plan` of one keyring: its keys, its plan, and the key operations (admin). Mounted
 * under `/v1` for the signing keyring and under `/v1/keyrings/<name>` for each keyring.
 */
export function keyRoutes(ctx: OpsContext, deps: OperationDeps): Hono<Env> {
  const app = new Hono<Env>();
  const { options, authenticated, body, json } = ctx;
  const sessions = keyringKindOf(deps).protects === "sessions";
  const keyringOrFail = () => ctx.keyringOrFail(deps);

  app.get("/keys", authenticated("viewer"), async (c) => {
    const keyring = await keyringOrFail();
    const usage =
      options.usage === undefined
        ? undefined
        : await options.usage.verificationsByKid(deps.clock.now()).catch(() => undefined);
    const stale = await options.usage?.staleSignersByKid?.(deps.clock.now()).catch(() => undefined);
    // Null until this keyring's keys have been used at all.
    const measured = keyring.keys.some((key) => (usage?.[key.kid] ?? 0) > 0);
    const shares = sharesOf(usage, keyring);
    const shareOf = (kid: string) =>
      measured ? Math.round((shares(kid) ?? 0) * 10_000) / 10_000 : null;
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
    return c.json({ days, transitions });
  });

  app.post("/keys/rotate", authenticated("admin"), body, async (c) => {
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

  app.post("/keys/rollback", authenticated("admin"), body, async (c) => {
    const fields = await json(c, ["reason"]);
    const result = await rollbackKeys(deps, {
      reason: text(fields, "reason", 500),
      actor: c.get("operator").name,
    });
    if (!result.ok) throw new ApiError(statusOf(result.code), result.code, result.message);
    return c.json({ current: result.value.kid });
  });

  app.post("/keys/:kid/reinstate", authenticated("admin"), body, async (c) => {
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

  app.post("/keys/import", authenticated("admin"), body, async (c) => {
    if (sessions) {
      const fields = await json(c, ["secret", "reason", "sessionLifetimeSeconds"]);
      const secret = text(fields, "secret", 4096);
      const maxSeconds = deps.policy.maxTokenLifetimeMs / SECOND;
      const lifetime = fields.sessionLifetimeSeconds ?? maxSeconds;
      if (!isWholeSeconds(lifetime))
        throw new ApiError(
          400,
          "invalid_request",
          "body.sessionLifetimeSeconds must be a whole number of seconds from 1 to 31622400",
        );
      const result = await importSecret(deps, {
        secret,
        encoding: "base64",
        tokenLifetimeSeconds: lifetime,
        reason: text(fields, "reason", 500),
        actor: c.get("operator").name,
      });
      if (!result.ok) throw new ApiError(statusOf(result.code), result.code, result.message);
      const { kid, status } = result.value;
      return c.json({ kid, status, sessionLifetimeSeconds: lifetime }, 201);
    }
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
      if (!isWholeSeconds(fields.tokenLifetimeSeconds)) {
        throw new ApiError(
          400,
          "invalid_request",
          "body.tokenLifetimeSeconds must be a whole number of seconds from 1 to 31622400",
        );
      }
      tokenLifetimeSeconds = fields.tokenLifetimeSeconds;
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

/** A lifetime in a request body: whole seconds, from 1 s to a (leap) year. */
function isWholeSeconds(value: unknown): value is number {
  return (
    typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 366 * 86_400
  );
}
