import { Hono } from "hono";
import { jwt } from "hono/jwt";
import { type KeywardEnv, keyward } from "../../functions/edge/middleware.ts";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import { directWebCrypto } from "../../shared/tokens/direct-webcrypto.ts";
import { warmVerification } from "./verification-stack.ts";

/**
 * The edge's verified request without its I/O, for the CPU benchmark: the keyward middleware and
 * the verification path in front of a route answering at once, the keyring cached, the rules
 * mirrored. The same module runs inside workerd (edge-cpu-worker.ts) and in Node.
 */
export async function verifiedApp(keyring: Keyring): Promise<Hono<KeywardEnv>> {
  // The edge's own assembly with its defaults, HS256 through WebCrypto as the edge checks it.
  const { authenticate } = await warmVerification(keyring, { directAsync: directWebCrypto() });
  const app = new Hono<KeywardEnv>();
  app.use("*", keyward({ authenticate }));
  app.get("/", (c) => c.text(c.get("keyward").kid));
  return app;
}

/** The least a hand-written Hono app does: hono/jwt's middleware with the key as a CryptoKey. */
export async function honoJwtApp(secret: Uint8Array): Promise<Hono> {
  const key = await crypto.subtle.importKey(
    "raw",
    secret,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const app = new Hono();
  app.use("*", jwt({ secret: key as never, alg: "HS256" }));
  app.get("/", (c) => c.text(String((c.get("jwtPayload") as { sub?: unknown }).sub)));
  return app;
}

/** Sends each token once through the app; throws unless every one was let through. */
export async function runRequests(
  app: Hono<never> | Hono<KeywardEnv> | Hono,
  tokens: readonly string[],
): Promise<void> {
  for (const token of tokens) {
    const response = await app.fetch(
      new Request("http://edge.bench/", { headers: { authorization: `Bearer ${token}` } }),
    );
    if (response.status !== 200)
      throw new Error(`a benchmark token was refused: ${response.status}`);
  }
}
