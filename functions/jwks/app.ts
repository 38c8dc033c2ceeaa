import { Hono } from "hono";
import type { JWK } from "jose";
import { SECOND } from "../../shared/kernel/clock.ts";
import { isVerifying, publicJwk } from "../../shared/keyring/key.ts";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import { errorAnswer, errorBody } from "../http/errors.ts";

/** A public key as served: a JWK, with the status of its key where the server knows it. */
export type PublishedKey = JWK & { readonly status?: string };

export interface JwksAppOptions {
  /** The public keys to serve (`publicKeysOf` a keyring, or what the writers published). */
  readonly keys: () => Promise<readonly PublishedKey[] | undefined>;
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

/** The public keys of a keyring's pending, current and previous asymmetric keys, with their status. */
export function publicKeysOf(keyring: Keyring | undefined): PublishedKey[] {
  return (keyring?.keys ?? [])
    .filter((k) => isVerifying(k.status))
    .flatMap((k) => {
      const jwk = publicJwk(k);
      return jwk === undefined ? [] : [{ ...jwk, status: k.status }];
    });
}

/**
 * `GET /.well-known/jwks.json`: the public keys of pending, current and previous asymmetric keys.
 * HMAC material is never in it. Served by the ops API (from its keyring) and, without
 * credentials, by its own function for outside verifiers (PyJWT, jose's remote JWK set), from the
 * public keys the writers publish: that function never holds the keyring.
 */
export function createJwksApp(options: JwksAppOptions): Hono {
  const app = new Hono();
  app.onError(errorAnswer);
  app.notFound((c) =>
    c.json(errorBody("not_found", `no route ${c.req.method} ${c.req.path}`), 404),
  );
  app.get("/.well-known/jwks.json", async (c) => {
    const keys = await options.keys();
    if (keys === undefined)
      return c.json(errorBody("keys_unavailable", "the public keys could not be read"), 503);
    c.header("Cache-Control", `public, max-age=${options.maxAgeSeconds}`);
    return c.json({ keys });
  });
  return app;
}
