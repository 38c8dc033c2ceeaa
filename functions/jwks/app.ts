import { Hono } from "hono";
import { SECOND } from "../../shared/clock.ts";
import { isVerifying, publicJwk } from "../../shared/keyring/key.ts";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import { errorAnswer, errorBody } from "../http/errors.ts";

export interface JwksAppOptions {
  /** The keyring as the caller may serve it (a cache or a store's `load`). */
  readonly keyring: () => Promise<Keyring | undefined>;
  /** How long clients may cache the answer, in seconds (see `jwksMaxAge`). */
  readonly maxAgeSeconds: number;
}

/**
 * How long a JWKS answer may be cached: the verifiers' keyring cache TTL less what the server's
 * own cache adds, so a key published one pre-publication period (TTL + 60 s) before it signs is
 * in every client's copy in time.
 */
export function jwksMaxAge(keyringCacheTtlMs: number, serverCacheMs = 0): number {
  return Math.max(0, Math.floor((keyringCacheTtlMs - serverCacheMs) / SECOND));
}

/**
 * `GET /.well-known/jwks.json`: the public keys of pending, current and previous asymmetric keys.
 * HMAC material is never in it. Served by the ops API and, without credentials, by its own
 * function for outside verifiers (PyJWT, jose's remote JWK set).
 */
export function createJwksApp(options: JwksAppOptions): Hono {
  const app = new Hono();
  app.onError(errorAnswer);
  app.notFound((c) =>
    c.json(errorBody("not_found", `no route ${c.req.method} ${c.req.path}`), 404),
  );
  app.get("/.well-known/jwks.json", async (c) => {
    const keyring = await options.keyring();
    const keys = (keyring?.keys ?? [])
      .filter((k) => isVerifying(k.status))
      .flatMap((k) => publicJwk(k) ?? []);
    c.header("Cache-Control", `public, max-age=${options.maxAgeSeconds}`);
    return c.json({ keys });
  });
  return app;
}
