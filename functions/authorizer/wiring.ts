import { createAuthenticator } from "../../shared/authenticate.ts";
import { type Clock, SECOND, systemClock } from "../../shared/clock.ts";
import type { Environment } from "../../shared/config/env.ts";
import { readVerifierConfig, type VerifierConfig } from "../../shared/config/verifier-config.ts";
import { ConfigInvalid } from "../../shared/errors.ts";
import { KeyringCache } from "../../shared/keyring-cache.ts";
import {
  readerFromEnvironment,
  type SecretsManagerReader,
} from "../../shared/keyring-store/secrets-reader.ts";
import { createLogger, type LineWriter, stdoutWriter } from "../../shared/observability/log.ts";
import { guardRevocations } from "../../shared/revocation/guard.ts";
import { UpstashRevocationStore } from "../../shared/revocation/upstash.ts";
import { createVerifier } from "../../shared/tokens/verifier.ts";
import { type UpstashSettings, upstashSettingsFromSecret } from "../../shared/upstash-client.ts";
import { UsageRecorder } from "../../shared/usage/counts.ts";
import { UpstashUsageStore } from "../../shared/usage/upstash.ts";
import { createAuthorizer } from "./authorizer.ts";

export interface Overrides {
  readonly clock?: Clock;
  readonly write?: LineWriter;
}

/**
 * Builds the authorizer from its environment (README, "Authorizer settings"). Runs during the
 * Lambda init phase: checks every setting, reads the Upstash credentials, loads the keyring and
 * opens the revocation store's connection, so the first request finds everything warm. AWS region,
 * endpoint and credentials come from the standard AWS variables, read from `env` like the rest.
 */
export async function createAuthorizerFromEnv(env: Environment, overrides: Overrides = {}) {
  const write = overrides.write ?? stdoutWriter;
  const log = createLogger("keyward-authorizer", write);
  let config: VerifierConfig;
  try {
    config = readVerifierConfig(env);
  } catch (error) {
    if (error instanceof ConfigInvalid)
      log.error("configuration is invalid", { problems: error.problems });
    throw error;
  }
  const clock = overrides.clock ?? systemClock;
  const secrets = readerFromEnvironment(env, config.secretPrefix);
  const upstash = await upstashSettings(config, secrets);
  const keyrings = new KeyringCache({
    load: () => secrets.load(),
    clock,
    ttlMs: config.keyringCacheTtlSeconds * SECOND,
    maxStaleMs: config.keyringMaxStaleSeconds * SECOND,
    unknownKidCooldownMs: config.unknownKidCooldownSeconds * SECOND,
    unknownKidWaitMs: config.unknownKidWaitMs,
  });
  const revocations = new UpstashRevocationStore({
    ...upstash,
    prefix: config.redisPrefix,
    budgetMs: config.revocationBudgetMs,
    timing: {
      maxTokenLifetimeSeconds: config.maxTokenLifetimeSeconds,
      clockToleranceSeconds: config.clockToleranceSeconds,
    },
  });
  const verifier = createVerifier({
    clockToleranceSeconds: config.clockToleranceSeconds,
    maxLifetimeSeconds: config.maxTokenLifetimeSeconds,
    ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
    ...(config.audience === undefined ? {} : { audience: config.audience }),
    ...(config.tokenType === undefined ? {} : { type: config.tokenType }),
  });
  const [, initial] = await Promise.all([revocations.warmUp(), keyrings.get()]);
  if (initial.ok) await verifier.prepare(initial.keyring);
  else {
    log.error("keyring could not be loaded at start; every request is refused until it can", {
      error: keyrings.lastError,
    });
  }
  const usage = new UsageRecorder(
    new UpstashUsageStore(upstash, config.redisPrefix),
    clock.now(),
    undefined,
    (error) =>
      log.warn("usage figures could not be written; they are kept for the next flush", { error }),
  );
  return createAuthorizer({
    authenticate: createAuthenticator({
      keyrings,
      verifier,
      revocations: guardRevocations(revocations, config.failureMode),
      clock,
      // Signers read the keyring through a cache of the same TTL; a minute of margin.
      signerFollowMs: config.keyringCacheTtlSeconds * SECOND + 60 * SECOND,
    }),
    tokenSource: {
      header: config.tokenHeader,
      ...(config.tokenCookie === undefined ? {} : { cookie: config.tokenCookie }),
    },
    log,
    writeMetrics: write,
    now: () => clock.now(),
    recordUsage: (kid, outcome) => usage.record(kid, clock.now(), outcome),
  });
}

async function upstashSettings(
  config: VerifierConfig,
  secrets: SecretsManagerReader,
): Promise<UpstashSettings> {
  if (config.upstash.kind === "env")
    return { url: config.upstash.url, token: config.upstash.token };
  const { secretId } = config.upstash;
  return upstashSettingsFromSecret(secretId, await secrets.secretString(secretId));
}
