import type { Environment } from "../../shared/config/env.ts";
import { errorBody } from "../http/errors.ts";
import { coloOf } from "./verification.ts";
import { createEdgeVerifier, type EdgeOverrides, type EdgeVerifier } from "./wiring.ts";

export interface ExecutionContext {
  waitUntil(work: Promise<unknown>): void;
}

/**
 * The Worker (wrangler.jsonc's `main`). Workers hand the environment to `fetch`, not to the
 * module, so the verifier is made at the isolate's first request, synchronously: there is no
 * construction in flight for a second request to race, and every later request shares it (and
 * its caches). A broken configuration answers every request with a JSON 500 that names no
 * value; the log line lists the problems.
 */
export function createWorker(overrides: EdgeOverrides = {}) {
  const isolate: { verifier?: EdgeVerifier | Error } = {};
  const verifierFor = (env: Environment, request: Request): EdgeVerifier | Error => {
    if (isolate.verifier === undefined) {
      try {
        isolate.verifier = createEdgeVerifier(env, overrides, coloOf(request));
      } catch (error) {
        isolate.verifier = error instanceof Error ? error : new Error("configuration is invalid");
      }
    }
    return isolate.verifier;
  };
  return {
    async fetch(request: Request, env: Environment, ctx: ExecutionContext): Promise<Response> {
      const verifier = verifierFor(env, request);
      if (verifier instanceof Error) {
        return Response.json(
          errorBody("config_invalid", "the edge verifier is misconfigured: see its logs"),
          { status: 500 },
        );
      }
      const response = await verifier.app.fetch(request);
      for (const work of verifier.pending()) ctx.waitUntil(work);
      return response;
    },
  };
}

export default createWorker();
