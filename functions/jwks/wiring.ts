import type { Context } from "hono";
import { type Environment, EnvReader } from "../../shared/config/env.ts";
import { systemClock } from "../../shared/kernel/clock.ts";
import { KeyringInvalid } from "../../shared/kernel/errors.ts";
import { publicKeysName } from "../../shared/keyring-store/secrets-layout.ts";
import {
  readerFromEnvironment,
  type SecretsManagerReader,
} from "../../shared/keyring-store/secrets-reader.ts";
import type { JwksConsumer, JwksConsumerLog } from "../../shared/receipts/jwks-consumer.ts";
import { UpstashJwksConsumers } from "../../shared/receipts/upstash-jwks.ts";
import { checkedRedisPrefix, DEFAULT_REDIS_PREFIX } from "../../shared/upstash/prefix.ts";
import { upstashSettingsFromSecret } from "../../shared/upstash/settings.ts";
import { KeyringCache } from "../../shared/verification/keyring-cache.ts";
import { createJwksApp, jwksMaxAge, type PublishedKey } from "./app.ts";

/** The public JWKS as deployed keeps the keys this long between Secrets Manager reads. */
const SERVER_CACHE_MS = 10_000;

/**
 * The public JWKS function: the public keys the writers publish at `<prefix>/public/jwks` (its
 * role may read that one secret and the readers' Upstash credentials: never the keyring), cached
 * for 10 s, answered with a max-age that keeps the two caches within the verifiers' keyring TTL.
 * With `KEYWARD_UPSTASH_SECRET_ID`, each consumer's fetches are recorded (a pending key signs once
 * the consumers of the last day fetched it).
 */
export function createJwksAppFromEnv(env: Environment) {
  const read = new EnvReader(env);
  const secretPrefix = read.required(
    "KEYWARD_SECRET_PREFIX",
    "the keyring's Secrets Manager prefix",
  );
  const ttlSeconds = read.integer("KEYWARD_KEYRING_CACHE_TTL_SECONDS", 60, 1, 3600);
  const upstashSecretId = read.string("KEYWARD_UPSTASH_SECRET_ID");
  const redisPrefix = read.string("KEYWARD_REDIS_PREFIX");
  if (redisPrefix !== undefined && !isPrefix(redisPrefix))
    read.problem("KEYWARD_REDIS_PREFIX must be 1 to 64 of A-Z a-z 0-9 : _ . -");
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
    ...(upstashSecretId === undefined
      ? {}
      : {
          consumers: {
            log: lazyConsumers(reader, upstashSecretId, redisPrefix),
            addressOf: sourceIpOf,
            clock: systemClock,
          },
        }),
  });
}

/** The caller's address in a Function URL's event, as the Lambda adapter hands it over. */
function sourceIpOf(c: Context): string | undefined {
  const env = c.env as { requestContext?: { http?: { sourceIp?: unknown } } } | undefined;
  const ip = env?.requestContext?.http?.sourceIp;
  return typeof ip === "string" ? ip : undefined;
}

function isPrefix(prefix: string): boolean {
  try {
    checkedRedisPrefix(prefix);
    return true;
  } catch {
    return false;
  }
}

/**
 * The consumers' store, its credentials read from Secrets Manager at the first fetch (one read
 * shared by concurrent first fetches; a failed read is tried again at the next fetch).
 */
function lazyConsumers(
  reader: SecretsManagerReader,
  secretId: string,
  prefix: string | undefined,
): Pick<JwksConsumerLog, "record"> {
  let store: Promise<UpstashJwksConsumers> | undefined;
  return {
    record: async (consumer: JwksConsumer) => {
      store ??= reader
        .secretString(secretId)
        .then(
          (text) =>
            new UpstashJwksConsumers(
              upstashSettingsFromSecret(secretId, text),
              prefix ?? DEFAULT_REDIS_PREFIX,
              1_000,
            ),
        );
      const loaded = await store.catch((error: unknown) => {
        store = undefined;
        throw error;
      });
      await loaded.record(consumer);
    },
  };
}
