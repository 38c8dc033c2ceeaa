import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { SECOND } from "../../shared/clock.ts";
import {
  lifetimeOfSample,
  SECRET_ENCODINGS,
  type SecretEncoding,
} from "../../shared/keyring/import-legacy.ts";
import { isVerifying, KID_PATTERN, publicJwk } from "../../shared/keyring/key.ts";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import { nextTransition, planAhead } from "../../shared/keyring/schedule.ts";
import type { OperationDeps } from "../../shared/operations/deps.ts";
import { rotationJournal } from "../../shared/operations/journal.ts";
import { importSecret, reinstate, rollbackKeys, rotate } from "../../shared/operations/keys.ts";
import { revoke } from "../../shared/operations/revocations.ts";
import { factsOf, type RevocationTarget, type TokenFacts } from "../../shared/revocation/rules.ts";
import type { TokenClaims } from "../../shared/tokens/claims.ts";
import { createVerifier } from "../../shared/tokens/verifier.ts";
import type { UsageStore } from "../../shared/usage/counts.ts";
import { limitBody } from "../http/body-limit.ts";
import { requireHolder } from "../http/credential.ts";
import { ApiError, errorAnswer, errorBody } from "../http/errors.ts";
import { type Fields, kidText, optionalText, strictObject, text } from "../http/input.ts";
import { REVOCATION_FIELDS, type RevocationRequest, revocationRequest } from "./input.ts";
import { allows, type Operator, type Role } from "./operators.ts";
import { statusOf } from "./statuses.ts";

export interface OpsAppOptions {
  readonly operators: readonly Operator[];
  /** Largest request body accepted. Default 4 MiB (a batch of 10,000 revocations). */
  readonly maxBodyBytes?: number;
  /**
   * Verification figures: each key's share of the last day in `GET /v1/keys`, refusals per
   * rotation in `GET /v1/journal`.
   */
  readonly usage?: Pick<UsageStore, "verificationsByKid" | "refusalsByKid"> &
    Partial<Pick<UsageStore, "staleSignersByKid">>;
}

export const MAX_BATCH = 10_000;

type Env = { Variables: { operator: Operator } };

/**
 * The ops API under /v1, runtime-agnostic: `app.fetch` serves it in Node (the local stack) and the
 * Lambda adapter in AWS. Every answer is JSON; every error is `{"error": {"code", "message"}}`.
 * Handlers validate and shape; the operations themselves live in shared/operations.
 */
export function createOpsApp(deps: OperationDeps, options: OpsAppOptions): Hono<Env> {
  const app = new Hono<Env>();
  // Tokens sent for revocation are checked against the keyring: keyward's own only.
  const verifier = createVerifier({
    cacheSize: 0,
    clockToleranceSeconds: deps.timing.clockToleranceSeconds,
    maxLifetimeSeconds: deps.timing.maxTokenLifetimeSeconds,
  });

  app.onError(errorAnswer);
  app.notFound((c) =>
    c.json(errorBody("not_found", `no route ${c.req.method} ${c.req.path}`), 404),
  );

  app.get("/v1/health", (c) => c.json({ status: "ok" }));

  app.get("/.well-known/jwks.json", async (c) => {
    const keyring = await deps.keyrings.load();
    const keys = (keyring?.keys ?? [])
      .filter((k) => isVerifying(k.status))
      .flatMap((k) => publicJwk(k) ?? []);
    // Verifiers may cache it for the keyring cache TTL: a pending key is published at least that
    // long (plus a margin) before it signs, so every cached copy knows it in time.
    c.header(
      "Cache-Control",
      `public, max-age=${Math.floor(deps.policy.keyringCacheTtlMs / SECOND)}`,
    );
    return c.json({ keys });
  });

  const authenticated = (needed: Role) =>
    createMiddleware<Env>(async (c, next) => {
      // Behind IAM auth the Authorization header carries the SigV4 signature, so the operator's
      // credential may come in X-Keyward-Credential instead.
      const operator = await requireHolder(
        c,
        options.operators,
        "keyward",
        "a valid operator credential is required (Authorization: Bearer …, or X-Keyward-Credential)",
      );
      if (!allows(operator.role, needed)) {
        throw new ApiError(
          403,
          "forbidden",
          `operator ${operator.name} is a ${operator.role}; this needs ${needed}`,
        );
      }
      c.set("operator", operator);
      await next();
    });

  const body = limitBody(options.maxBodyBytes ?? 4 * 1024 * 1024);

  async function json(
    c: { req: { text(): Promise<string> } },
    allowed: readonly string[],
  ): Promise<Fields> {
    let value: unknown;
    try {
      value = JSON.parse(await c.req.text());
    } catch {
      throw new ApiError(400, "invalid_json", "request body is not valid JSON");
    }
    return strictObject(value, allowed);
  }

  /** The latest exp a token keyward accepts can have, in seconds. */
  const latestExp = () =>
    Math.floor(deps.clock.now() / SECOND) +
    deps.timing.maxTokenLifetimeSeconds +
    deps.timing.clockToleranceSeconds;

  const keyringOrFail = async (): Promise<Keyring> => {
    const keyring = await deps.keyrings.load();
    if (keyring === undefined) throw new ApiError(404, "no_keyring", "no keyring exists yet");
    return keyring;
  };

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

  /** A token sent to the API: keyward's own and valid, spent already, or not revocable. */
  async function inspect(
    token: string,
    keyring?: Keyring,
  ): Promise<{ claims: TokenClaims } | { noop: string } | { refused: string }> {
    const checked = await verifier.verify(
      token,
      keyring ?? (await keyringOrFail()),
      deps.clock.now(),
    );
    if (checked.ok) return { claims: checked.claims };
    if (checked.reason === "expired") return { noop: "the token has expired already" };
    if (checked.reason === "key_retired" || checked.reason === "key_compromised") {
      return { noop: "the token's key no longer verifies" };
    }
    return { refused: `not a token signed by this keyring (${checked.reason})` };
  }

  /** A revocation request made concrete: a token is checked (keyward's own, signature first). */
  async function target(
    request: RevocationRequest,
    keyring?: Keyring,
  ): Promise<RevocationTarget | { noop: string } | { refused: string }> {
    if (request.kind === "kid") return keyTarget(request.kid, keyring ?? (await keyringOrFail()));
    if (request.kind !== "by-token") return request;
    const inspected = await inspect(request.token, keyring);
    if (!("claims" in inspected)) return inspected;
    const { claims } = inspected;
    if (typeof claims.jti !== "string") {
      return { refused: "this token has no jti (a legacy token): revoke its subject instead" };
    }
    return {
      kind: "token",
      jti: claims.jti,
      exp: claims.exp,
      ...(typeof claims.iss === "string" ? { iss: claims.iss } : {}),
    };
  }

  /**
   * A key rule refuses every token of the key, in every verifier, whatever its cached keyring
   * says. Only for a key that signs no more (previous or retired): on a key that signs or is about
   * to (current, pending) it would refuse every login from then on; an emergency rotation is the
   * way to stop such a key.
   */
  function keyTarget(
    kid: string,
    keyring: Keyring,
  ): RevocationTarget | { noop: string } | { refused: string } {
    const key = keyring.keys.find((k) => k.kid === kid);
    if (key === undefined) return { refused: `no key ${kid} in the keyring` };
    if (key.status === "destroyed")
      return { noop: "the key is destroyed: nothing verifies with it" };
    if (key.status === "current" || key.status === "pending") {
      return {
        refused: `key ${kid} is ${key.status} and signs new tokens; rotate --immediate to replace it and refuse its tokens`,
      };
    }
    return { kind: "kid", kid };
  }

  app.post("/v1/revocations", authenticated("responder"), body, async (c) => {
    const fields = await json(c, [...REVOCATION_FIELDS, "reason"]);
    const reason = text(fields, "reason", 500);
    const resolved = await target(revocationRequest(fields, "body", latestExp()));
    if ("refused" in resolved) throw new ApiError(422, "not_revocable", resolved.refused);
    if ("noop" in resolved) return c.json({ revoked: false, noop: true, message: resolved.noop });
    const [result] = await revoke(deps, {
      targets: [resolved],
      reason,
      actor: c.get("operator").name,
    });
    if (!result?.ok)
      throw new ApiError(
        503,
        "store_unavailable",
        "the revocation store did not take the revocation; try again",
      );
    return c.json(
      { revoked: true, noop: result.noop, rule: resolved.kind },
      result.noop ? 200 : 201,
    );
  });

  app.post("/v1/revocations/batch", authenticated("responder"), body, async (c) => {
    const fields = await json(c, ["items", "reason"]);
    const reason = text(fields, "reason", 500);
    const items = fields.items;
    if (!Array.isArray(items) || items.length === 0 || items.length > MAX_BATCH) {
      throw new ApiError(
        items === undefined || !Array.isArray(items) ? 400 : 413,
        "invalid_request",
        `body.items must be an array of 1 to ${MAX_BATCH} revocations`,
      );
    }
    const results: { index: number; ok: boolean; noop?: boolean; error?: string }[] = [];
    const targets: { index: number; target: RevocationTarget }[] = [];
    // One keyring for the whole batch; tokens are checked in parallel groups.
    const keyring = items.some(
      (item) => typeof item === "object" && item !== null && ("token" in item || "kid" in item),
    )
      ? await keyringOrFail()
      : undefined;
    const resolve = async (item: unknown, index: number) => {
      try {
        const where = `items[${index}]`;
        const resolved = await target(
          revocationRequest(strictObject(item, REVOCATION_FIELDS, where), where, latestExp()),
          keyring,
        );
        if ("refused" in resolved) results.push({ index, ok: false, error: resolved.refused });
        else if ("noop" in resolved) results.push({ index, ok: true, noop: true });
        else targets.push({ index, target: resolved });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        results.push({ index, ok: false, error: error.message });
      }
    };
    for (let start = 0; start < items.length; start += 256) {
      await Promise.all(items.slice(start, start + 256).map((item, i) => resolve(item, start + i)));
    }
    targets.sort((a, b) => a.index - b.index);
    if (targets.length > 0) {
      const written = await revoke(deps, {
        targets: targets.map((t) => t.target),
        reason,
        actor: c.get("operator").name,
        ...(keyring === undefined ? {} : { keyring }),
      });
      written.forEach((result, i) => {
        const index = targets[i]?.index ?? -1;
        results.push(
          result.ok
            ? { index, ok: true, noop: result.noop }
            : { index, ok: false, error: result.error },
        );
      });
    }
    results.sort((a, b) => a.index - b.index);
    const failed = results.filter((r) => !r.ok).length;
    return c.json(
      { items: results.length, revoked: results.length - failed, failed, results },
      failed === 0 ? 200 : (207 as ContentfulStatusCode),
    );
  });

  app.get("/v1/revocations/check", authenticated("viewer"), async (c) => {
    const query = strictObject(c.req.query(), ["token", "jti", "iss", "sub", "kid"], "query");
    const given = ["token", "jti", "sub", "kid"].filter((name) => query[name] !== undefined);
    if (given.length !== 1)
      throw new ApiError(
        400,
        "invalid_request",
        "query must have exactly one of token, jti, sub, kid",
      );
    let facts: TokenFacts;
    if (query.token !== undefined) {
      const inspected = await inspect(text(query, "token", 16_384, "query"));
      if ("refused" in inspected) throw new ApiError(422, "not_revocable", inspected.refused);
      if ("noop" in inspected) return c.json({ revoked: false, message: inspected.noop });
      facts = factsOf(inspected.claims);
    } else if (query.jti !== undefined) {
      const iss = optionalText(query, "iss", 512, "query");
      facts = {
        jti: text(query, "jti", 256, "query"),
        ...(iss === undefined ? {} : { iss }),
        claims: {},
      };
    } else if (query.kid !== undefined) {
      // Only the key rule: asked for a token issued after every cut-off.
      const kid = kidText(query, "kid", "query");
      facts = { kid, issuedAtMs: Number.POSITIVE_INFINITY, claims: {} };
    } else {
      // Is a cut-off in force for this subject? Asked for a token issued at the epoch, which any
      // cut-off covers; `since` then says from when on tokens are accepted again.
      facts = { sub: text(query, "sub", 512, "query"), issuedAtMs: 0, claims: {} };
    }
    const status = await deps.revocations.check(facts);
    return c.json(
      status.revoked
        ? { revoked: true, rule: status.rule, since: new Date(status.sinceMs).toISOString() }
        : { revoked: false },
    );
  });

  app.get("/v1/journal", authenticated("viewer"), async (c) => {
    const query = strictObject(c.req.query(), ["since"], "query");
    const since = typeof query.since === "string" ? Date.parse(query.since) : 0;
    if (!Number.isFinite(since)) {
      throw new ApiError(
        400,
        "invalid_request",
        "query.since must be a date (2026-01-31) or a timestamp (2026-01-31T12:00:00Z)",
      );
    }
    const rotations = await rotationJournal(
      { audit: deps.audit, ...(options.usage === undefined ? {} : { usage: options.usage }) },
      since,
    );
    return c.json({ since: iso(since), rotations });
  });

  app.get("/v1/audit", authenticated("viewer"), async (c) => {
    const query = strictObject(c.req.query(), ["limit", "before"], "query");
    const limit = query.limit === undefined ? undefined : Number(query.limit);
    const before = query.before === undefined ? undefined : Number(query.before);
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 500)) {
      throw new ApiError(
        400,
        "invalid_request",
        "query.limit must be a whole number from 1 to 500",
      );
    }
    if (before !== undefined && !(Number.isInteger(before) && before > 0)) {
      throw new ApiError(400, "invalid_request", "query.before must be the seq of an entry");
    }
    const page = await deps.audit.read({
      ...(limit === undefined ? {} : { limit }),
      ...(before === undefined ? {} : { before }),
    });
    return c.json(page);
  });

  return app;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
