import { Hono } from "hono";
import type { OperationDeps } from "../../shared/operations/deps.ts";
import { rotationJournal } from "../../shared/operations/journal.ts";
import { ApiError } from "../http/errors.ts";
import { strictObject } from "../http/input.ts";
import { type Env, iso, type OpsContext } from "./context.ts";
import type { AuditResponse, JournalResponse } from "./wire.ts";

/** `/journal`: one keyring's rotations, mounted under that keyring's base (viewer). */
export function journalRoutes(ctx: OpsContext, keyring: OperationDeps): Hono<Env> {
  const app = new Hono<Env>();
  const { options, authenticated } = ctx;

  app.get("/journal", authenticated("viewer"), async (c) => {
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
      { audit: keyring.audit, ...(options.usage === undefined ? {} : { usage: options.usage }) },
      since,
      keyring.keyringName,
    );
    return c.json({ since: iso(since), rotations } satisfies JournalResponse);
  });

  return app;
}

/** `/v1/audit`: every entry of the journal, whatever it changed (viewer). */
export function auditRoutes(ctx: OpsContext): Hono<Env> {
  const app = new Hono<Env>();
  const { deps, authenticated } = ctx;

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
    return c.json(page satisfies AuditResponse);
  });

  return app;
}
