import { Hono } from "hono";
import { ApiError } from "../http/errors.ts";
import { strictObject, text } from "../http/input.ts";
import type { Env, OpsContext } from "./context.ts";
import type { FamiliesResponse, SessionsResponse } from "./wire.ts";

/**
 * `/v1/families?sub=`: a subject's live refresh-token families (viewer). Never a token.
 * `/v1/sessions` is its former name, answered the same (under `sessions`) until the next minor
 * version, with a `Deprecation` header.
 */
export function familyRoutes(ctx: OpsContext): Hono<Env> {
  const app = new Hono<Env>();
  const familiesOf = async (query: Record<string, string>) => {
    const store = ctx.options.families;
    if (store === undefined)
      throw new ApiError(404, "not_found", "this deployment issues no refresh tokens");
    const sub = text(strictObject(query, ["sub"], "query"), "sub", 512, "query");
    return { sub, families: await store.families(sub, ctx.deps.clock.now()) };
  };
  app.get("/v1/families", ctx.authenticated("viewer"), async (c) =>
    c.json((await familiesOf(c.req.query())) satisfies FamiliesResponse),
  );
  app.get("/v1/sessions", ctx.authenticated("viewer"), async (c) => {
    const { sub, families } = await familiesOf(c.req.query());
    c.header("Deprecation", "true");
    c.header("Link", '</v1/families>; rel="successor-version"');
    return c.json({ sub, sessions: families } satisfies SessionsResponse);
  });
  return app;
}
