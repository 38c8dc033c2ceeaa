import { systemClock } from "../../shared/clock.ts";
import { type Environment, EnvReader } from "../../shared/config/env.ts";
import { KeyringCache } from "../../shared/keyring-cache.ts";
import { readerFromEnvironment } from "../../shared/keyring-store/secrets-reader.ts";
import { createJwksApp, jwksMaxAge } from "./app.ts";

/** The public JWKS as deployed keeps the keyring this long between Secrets Manager reads. */
const SERVER_CACHE_MS = 10_000;

/**
 * The public JWKS function: the keyring read from Secrets Manager (read-only role), cached for
 * 10 s, answered with a max-age that keeps the two caches within the verifiers' keyring TTL.
 */
export function createJwksAppFromEnv(env: Environment) {
  const read = new EnvReader(env);
  const secretPrefix = read.required(
    "KEYWARD_SECRET_PREFIX",
    "the keyring's Secrets Manager prefix",
  );
  const ttlSeconds = read.integer("KEYWARD_KEYRING_CACHE_TTL_SECONDS", 60, 1, 3600);
  read.done();
  const reader = readerFromEnvironment(env, secretPrefix);
  const cache = new KeyringCache({
    load: () => reader.load(),
    clock: systemClock,
    ttlMs: SERVER_CACHE_MS,
    backgroundReloadForMs: 0,
  });
  return createJwksApp({
    keyring: async () => {
      const answer = await cache.get();
      return answer.ok ? answer.keyring : undefined;
    },
    maxAgeSeconds: jwksMaxAge(ttlSeconds * 1000, SERVER_CACHE_MS),
  });
}
