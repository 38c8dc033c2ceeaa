import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import { revoke } from "../../shared/operations/revocations.ts";
import { factsOf, type RevocationTarget, type TokenFacts } from "../../shared/revocation/rules.ts";
import type { TokenClaims } from "../../shared/tokens/claims.ts";
import { createVerifier } from "../../shared/tokens/verifier.ts";
import { ApiError } from "../http/errors.ts";
import { kidText, optionalText, strictObject, text } from "../http/input.ts";
import type { Env, OpsContext } from "./context.ts";
import { REVOCATION_FIELDS, type RevocationRequest, revocationRequest } from "./input.ts";

export const MAX_BATCH = 10_000;

/** `/v1/revocations…`: revoke one rule or a batch (responder), check one (viewer). */
export function revocationRoutes(ctx: OpsContext): Hono<Env> {
  const app = new Hono<Env>();
  const { deps, authenticated, body, json, keyringOrFail, latestExp } = ctx;
  // Tokens sent for revocation are checked against the keyring: keyward's own only.
  const verifier = createVerifier({
    cacheSize: 0,
    clockToleranceSeconds: deps.timing.clockToleranceSeconds,
    maxLifetimeSeconds: deps.timing.maxTokenLifetimeSeconds,
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

  return app;
}
