import { parseClients } from "../../shared/access/clients.ts";
import { type Environment, EnvReader } from "../../shared/config/env.ts";
import { readNumber, readText } from "../../shared/config/setting.ts";
import { SETTINGS } from "../../shared/config/settings.ts";
import { createIssuer } from "../../shared/issuing/issuer.ts";
import { systemClock } from "../../shared/kernel/clock.ts";
import { readerFromEnvironment } from "../../shared/keyring-store/secrets-reader.ts";
import { type LineWriter, stdoutWriter } from "../../shared/observability/log.ts";
import { upstashSettingsFromSecret } from "../../shared/upstash/settings.ts";
import { createIssuingApp } from "./app.ts";
import { readRefreshSettings, refreshFromEnv } from "./refresh-wiring.ts";

/**
 * The issuing endpoint as deployed: the keyring read from Secrets Manager (read-only, the
 * verifiers' cache), clients from KEYWARD_ISSUING_CLIENTS or a secret
 * (KEYWARD_ISSUING_CLIENTS_SECRET_ID). Every setting is checked at once.
 */
export async function createIssuingAppFromEnv(env: Environment, write: LineWriter = stdoutWriter) {
  const read = new EnvReader(env);
  const secretPrefix = read.required(
    "KEYWARD_SECRET_PREFIX",
    "the keyring's Secrets Manager prefix",
  );
  const inline = read.string("KEYWARD_ISSUING_CLIENTS");
  const secretId = read.string("KEYWARD_ISSUING_CLIENTS_SECRET_ID");
  if (inline === undefined && secretId === undefined)
    read.problem(
      "KEYWARD_ISSUING_CLIENTS (JSON) or KEYWARD_ISSUING_CLIENTS_SECRET_ID is required: who may have tokens issued",
    );
  const maxLifetimeSeconds = readNumber(read, SETTINGS.maxTokenLifetime);
  const cacheTtlSeconds = readNumber(read, SETTINGS.keyringCacheTtl);
  const maxStaleSeconds = readNumber(read, SETTINGS.keyringMaxStale);
  const receiptWindowSeconds = readNumber(read, SETTINGS.receiptWindow);
  const iss = readText(read, SETTINGS.issuer);
  const type = readText(read, SETTINGS.tokenType);
  const refresh = readRefreshSettings(read);
  read.done();
  const secrets = readerFromEnvironment(env, secretPrefix);
  const clientsJson = inline ?? (await secrets.secretString(secretId ?? ""));
  // With refresh tokens the endpoint has Upstash: its receipts go there too.
  const upstash =
    refresh === undefined
      ? undefined
      : upstashSettingsFromSecret(
          refresh.upstashSecretId,
          await secrets.secretString(refresh.upstashSecretId),
        );
  const issuer = createIssuer({
    keyring: { secretPrefix, env },
    cacheTtlSeconds,
    maxStaleSeconds,
    maxLifetimeSeconds,
    ...(iss === undefined ? {} : { issuer: iss }),
    ...(type === undefined ? {} : { type }),
    ...(refresh === undefined || upstash === undefined
      ? {}
      : {
          refresh: await refreshFromEnv(
            refresh,
            upstash,
            env,
            (id) => secrets.secretString(id),
            write,
          ),
          upstash,
          redisPrefix: refresh.redisPrefix,
          receiptWindowSeconds,
        }),
  });
  return createIssuingApp({
    issuer,
    clients: parseClients(clientsJson, maxLifetimeSeconds),
    clock: systemClock,
    write,
  });
}
