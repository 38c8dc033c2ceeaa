import { Hono } from "hono";
import { ApiError } from "../http/errors.ts";
import { strictObject, text } from "../http/input.ts";
import type { Env, OpsContext } from "./context.ts";

/** `/v1/sessions?sub=`: a subject's live refresh-token families (viewer). Never a token. */
export function sessionRoutes(ctx: OpsContext): Hono<Env> {
  const app = new Hono<Env>();
  app.get("/v1/sessions", ctx.authenticated("viewer"), async (c) => {
    const store = ctx.options.sessions;
    if (store === undefined)
      throw new ApiError(404, "not_found", "this deployment issues no refresh tokens");
    const query = strictObject(c.req.query(), ["sub"], "query");
    const sub = text(query, "sub", 512, "query");
    return c.json({ sub, sessions: await store.sessions(sub, ctx.deps.clock.now()) });
  });
  return app;
}
