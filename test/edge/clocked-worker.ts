// The edge Worker with its clock in the test's hands, for the tests inside workerd that are about
// time (keyring TTL, stale bound, unknown-kid cooldown, the mirror's freshness bound): the same
// createWorker and verifier as the deployed bundle, plus one route only this test build has,
// `POST /__test/clock` with the milliseconds to move the isolate's clock by. Never shipped.

import { createWorker, type ExecutionContext } from "../../functions/edge/worker.ts";
import type { Environment } from "../../shared/config/env.ts";

let offset = 0;
const worker = createWorker({
  clock: {
    now: () => Date.now() + offset,
    elapsed: () => performance.now() + offset,
  },
});

export default {
  async fetch(request: Request, env: Environment, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/__test/clock" && request.method === "POST") {
      offset += Number(await request.text());
      return new Response(null, { status: 204 });
    }
    return worker.fetch(request, env, ctx);
  },
};
