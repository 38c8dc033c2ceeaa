import { Hono } from "hono";
import type { KeyringStore } from "../../shared/keyring-store/store.ts";
import { pendingReach } from "../../shared/receipts/reach.ts";
import { DEFAULT_RECEIPT_WINDOW_MS } from "../../shared/receipts/receipt.ts";
import { ApiError } from "../http/errors.ts";
import type { Env, OpsContext } from "./context.ts";
import type { VerifiersResponse } from "./wire.ts";

/**
 * `GET /v1/verifiers` (viewer): the live verifying instances, as their last receipts say, the
 * JWKS's consumers of the last day, and for each keyring's pending key how many of them hold it.
 */
export function verifierRoutes(ctx: OpsContext): Hono<Env> {
  const app = new Hono<Env>();
  app.get("/v1/verifiers", ctx.authenticated("viewer"), async (c) => {
    const reader = ctx.options.receipts;
    if (reader === undefined)
      throw new ApiError(404, "not_found", "this deployment keeps no verifier receipts");
    const now = ctx.deps.clock.now();
    const [verifiers, consumers] = await Promise.all([
      reader.live(now),
      ctx.options.jwksConsumers?.recent(now) ?? [],
    ]);
    const stores: Record<string, Pick<KeyringStore, "load">> = { signing: ctx.deps.keyrings };
    for (const [name, deps] of Object.entries(ctx.options.keyrings ?? {}))
      if (deps !== undefined) stores[name] = deps.keyrings;
    const pending = await pendingReach(stores, verifiers, consumers);
    return c.json({
      at: new Date(now).toISOString(),
      windowSeconds: (ctx.options.receiptWindowMs ?? DEFAULT_RECEIPT_WINDOW_MS) / 1000,
      verifiers,
      jwksConsumers: consumers,
      pending,
    } satisfies VerifiersResponse);
  });
  return app;
}
