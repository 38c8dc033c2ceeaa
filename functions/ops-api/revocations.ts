import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { revocationResolver, revoke } from "../../shared/operations/revocations.ts";
import { factsOf, type RevocationTarget, type TokenFacts } from "../../shared/revocation/rules.ts";
import { ApiError } from "../http/errors.ts";
import { kidText, optionalText, strictObject, text } from "../http/input.ts";
import type { Env, OpsContext } from "./context.ts";
import { REVOCATION_FIELDS, revocationRequest } from "./input.ts";
import { refusedError } from "./statuses.ts";
import type { BatchResponse, CheckResponse, RevokeResponse } from "./wire.ts";

export const MAX_BATCH = 10_000;

/** `/v1/revocations…`: revoke one rule or a batch (responder), check one (viewer). */
export function revocationRoutes(ctx: OpsContext): Hono<Env> {
  const app = new Hono<Env>();
  const { deps, authenticated, body, json, keyringOrFail, latestExp } = ctx;
  const resolver = revocationResolver(deps);

  app.post("/v1/revocations", authenticated("responder"), body, async (c) => {
    const fields = await json(c, [...REVOCATION_FIELDS, "reason"]);
    const reason = text(fields, "reason", 500);
    const resolved = await resolver.resolve(
      revocationRequest(fields, "body", latestExp()),
      keyringOrFail,
    );
    if (!resolved.ok) throw refusedError(resolved);
    if ("noop" in resolved)
      return c.json({
        revoked: false,
        noop: true,
        message: resolved.noop,
      } satisfies RevokeResponse);
    const written = await revoke(deps, {
      targets: [resolved.target],
      reason,
      actor: c.get("operator").name,
    });
    if (!written.ok) throw refusedError(written);
    const noop = written.value[0]?.ok === true && written.value[0].noop;
    return c.json(
      { revoked: true, noop, rule: resolved.target.kind } satisfies RevokeResponse,
      noop ? 200 : 201,
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
        const resolved = await resolver.resolve(
          revocationRequest(strictObject(item, REVOCATION_FIELDS, where), where, latestExp()),
          async () => keyring ?? keyringOrFail(),
        );
        if (!resolved.ok) results.push({ index, ok: false, error: resolved.message });
        else if ("noop" in resolved) results.push({ index, ok: true, noop: true });
        else targets.push({ index, target: resolved.target });
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
      targets.forEach(({ index }, i) => {
        // Refused: the store took none of them.
        const result = written.ok ? written.value[i] : undefined;
        results.push(
          result?.ok
            ? { index, ok: true, noop: result.noop }
            : {
                index,
                ok: false,
                error: result?.error ?? (written.ok ? "not written" : written.message),
              },
        );
      });
    }
    results.sort((a, b) => a.index - b.index);
    const failed = results.filter((r) => !r.ok).length;
    return c.json(
      {
        items: results.length,
        revoked: results.length - failed,
        failed,
        results,
      } satisfies BatchResponse,
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
      const inspected = await resolver.inspect(
        text(query, "token", 16_384, "query"),
        await keyringOrFail(),
      );
      if (!inspected.ok) throw refusedError(inspected);
      if ("noop" in inspected)
        return c.json({ revoked: false, message: inspected.noop } satisfies CheckResponse);
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
    const since = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : "unknown");
    const answer: CheckResponse = status.revoked
      ? {
          revoked: true,
          rule: status.rule,
          since: since(status.sinceMs),
          rules: status.applying.map((applied) => ({
            rule: applied.rule,
            since: since(applied.sinceMs),
          })),
        }
      : { revoked: false };
    return c.json(answer);
  });

  return app;
}
