import { Hono } from "hono";
import type { OperationDeps } from "../../shared/operations/deps.ts";
import { ApiError } from "../http/errors.ts";
import type { Env, OpsContext } from "./context.ts";
import type { UsageResponse } from "./wire.ts";

/**
 * `GET …/usage` (viewer): each of the last 24 hours' verifications per key of one keyring, oldest
 * first, for the console's share chart; kids of other keyrings are left out.
 */
export function usageRoutes(ctx: OpsContext, deps: OperationDeps): Hono<Env> {
  const app = new Hono<Env>();
  app.get("/usage", ctx.authenticated("viewer"), async (c) => {
    const usage = ctx.options.usage;
    if (usage === undefined)
      throw new ApiError(404, "not_found", "this deployment keeps no usage figures");
    const keyring = await ctx.keyringOrFail(deps);
    const kids = new Set(keyring.keys.map((key) => key.kid));
    let hours: Awaited<ReturnType<typeof usage.verificationsByHour>>;
    try {
      hours = await usage.verificationsByHour(deps.clock.now());
    } catch {
      throw new ApiError(
        503,
        "store_unavailable",
        "the usage figures could not be read; try again",
      );
    }
    return c.json({
      hours: hours.map((hour) => ({
        from: new Date(hour.from).toISOString(),
        verified: Object.fromEntries(
          Object.entries(hour.verified).filter(([kid]) => kids.has(kid)),
        ),
      })),
    } satisfies UsageResponse);
  });
  return app;
}
