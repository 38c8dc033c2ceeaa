import { Hono } from "hono";
import { type KeywardEnv, keyward } from "../../functions/edge/middleware.ts";
import { systemClock } from "../../shared/kernel/clock.ts";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import { guardRevocations } from "../../shared/revocation/guard.ts";
import { MemoryRevocationStore } from "../../shared/revocation/memory.ts";
import { createVerifier } from "../../shared/tokens/verifier.ts";
import { createAuthenticator } from "../../shared/verification/authenticate.ts";
import { KeyringCache } from "../../shared/verification/keyring-cache.ts";

/**
 * The edge's verified request without its I/O, for the CPU benchmark: the keyward middleware and
 * the verification path in front of a route answering at once, the keyring cached, revocations
 * in memory. The same module runs inside workerd (edge-cpu-worker.ts) and in Node.
 */
export function verifiedApp(keyring: Keyring): Hono<KeywardEnv> {
  const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
  const authenticate = createAuthenticator({
    keyrings: new KeyringCache({ load: async () => keyring, clock: systemClock }),
    verifier: createVerifier(),
    revocations: guardRevocations(new MemoryRevocationStore(timing, systemClock)),
    clock: systemClock,
  });
  const app = new Hono<KeywardEnv>();
  app.use("*", keyward({ authenticate }));
  app.get("/", (c) => c.text(c.get("keyward").kid));
  return app;
}

/** Sends each token once through the app; throws unless every one was let through. */
export async function runRequests(app: Hono<KeywardEnv>, tokens: readonly string[]): Promise<void> {
  for (const token of tokens) {
    const response = await app.fetch(
      new Request("http://edge.bench/", { headers: { authorization: `Bearer ${token}` } }),
    );
    if (response.status !== 200)
      throw new Error(`a benchmark token was refused: ${response.status}`);
  }
}
