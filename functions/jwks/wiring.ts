import { type Environment, EnvReader } from "../../shared/config/env.ts";
import { systemClock } from "../../shared/kernel/clock.ts";
import { KeyringInvalid } from "../../shared/kernel/errors.ts";
import { publicKeysName } from "../../shared/keyring-store/secrets-layout.ts";
import { readerFromEnvironment } from "../../shared/keyring-store/secrets-reader.ts";
import { KeyringCache } from "../../shared/verification/keyring-cache.ts";
import { createJwksApp, jwksMaxAge, type PublishedKey } from "./app.ts";

/** The public JWKS as deployed keeps the keys this long between Secrets Manager reads. */
const SERVER_CACHE_MS = 10_000;

/**
 * The public JWKS function: the public keys the writers publish at `<prefix>/public/jwks` (its
 * role may read that one secret and nothing else: never the keyring), cached for 10 s, answered
 * with a max-age that keeps the two caches within the verifiers' keyring TTL.
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
  const cache = new KeyringCache<readonly PublishedKey[]>({
    load: async () => {
      const published = JSON.parse(await reader.secretString(publicKeysName(secretPrefix))) as {
        keys?: unknown;
      };
      if (!Array.isArray(published.keys))
        throw new KeyringInvalid(["the published public keys are not a JWKS"]);
      return published.keys as PublishedKey[];
    },
    clock: systemClock,
    ttlMs: SERVER_CACHE_MS,
    backgroundReloadForMs: 0,
  });
  return createJwksApp({
    keys: async () => {
      const answer = await cache.get();
      return answer.ok ? answer.keyring : undefined;
    },
    maxAgeSeconds: jwksMaxAge(ttlSeconds * 1000, SERVER_CACHE_MS),
  });
}
