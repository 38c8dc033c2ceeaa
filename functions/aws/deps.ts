import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { UpstashAuditJournal } from "../../shared/audit/upstash.ts";
import { awsClientSettings } from "../../shared/config/aws-env.ts";
import type { Environment } from "../../shared/config/env.ts";
import type { WriterConfig } from "../../shared/config/writer-config.ts";
import { EventBridgePublisher } from "../../shared/events/eventbridge.ts";
import { withEventMetrics } from "../../shared/events/metrics.ts";
import { systemClock } from "../../shared/kernel/clock.ts";
import { cryptoRandom } from "../../shared/kernel/random.ts";
import { type KeyringName, keyringSecretPrefix } from "../../shared/keyring/names.ts";
import { kmsCustody, signingKeyTags } from "../../shared/keyring-store/kms-custody.ts";
import { kmsFromEnvironment } from "../../shared/keyring-store/kms-keys.ts";
import { SecretsManagerKeyringStore } from "../../shared/keyring-store/secrets-manager.ts";
import { type LineWriter, stdoutWriter } from "../../shared/observability/log.ts";
import { type OperationDeps, onKeyring } from "../../shared/operations/deps.ts";
import { UpstashReceipts } from "../../shared/receipts/upstash.ts";
import { UpstashJwksConsumers } from "../../shared/receipts/upstash-jwks.ts";
import { UpstashRefreshStore } from "../../shared/refresh/upstash.ts";
import { checkEviction, type EvictionCheck } from "../../shared/revocation/eviction.ts";
import { UpstashRevocationStore } from "../../shared/revocation/upstash.ts";
import { createUpstashClient } from "../../shared/upstash/client.ts";
import { upstashSettingsFromSecret, WRITE_BUDGET_MS } from "../../shared/upstash/settings.ts";
import { UpstashUsageStore } from "../../shared/usage/upstash.ts";

/** The writers' stores as deployed: keyring in Secrets Manager, the rest in Upstash, events on EventBridge. */
export interface AwsOperationDeps extends OperationDeps {
  readonly usage: UpstashUsageStore;
  /** The verifiers' receipts (they write them with their usage counts; the ops API lists them). */
  readonly receipts: UpstashReceipts;
  /** Who fetched the public JWKS (the JWKS function records them). */
  readonly jwksConsumers: UpstashJwksConsumers;
  /** Refresh-token families (the issuing function writes them; the ops API lists them). */
  readonly refreshes: UpstashRefreshStore;
  /** Reads another secret (the ops API's operators) with the same client. */
  readonly secretString: (secretId: string) => Promise<string>;
  /** Asks Upstash whether it may evict keys (the rotation function does, every tick). */
  readonly checkEviction: () => Promise<EvictionCheck>;
  /** The same stores on each keyring (`signing` is this one), with its own prefix and policy. */
  readonly keyring: (name: KeyringName) => AwsOperationDeps;
}

export interface AwsDepsOptions {
  /**
   * Only the rotation function deletes key material (and schedules a KMS key's deletion); the ops
   * API's role may not.
   */
  readonly deletesMaterial: boolean;
  /** The `Function` dimension of the event metrics. */
  readonly functionName: string;
  /** Where event metric lines go (stdout, read by CloudWatch, in Lambda). */
  readonly write?: LineWriter;
}

/** Builds the stores of the rotation function and the ops API from their shared settings. */
export async function awsOperationDeps(
  config: WriterConfig,
  env: Environment,
  options: AwsDepsOptions,
): Promise<AwsOperationDeps> {
  const secrets = new SecretsManagerClient(
    awsClientSettings(env, "AWS_ENDPOINT_URL_SECRETS_MANAGER"),
  );
  const secretString = async (secretId: string) =>
    (await secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString ?? "";
  const upstash = upstashSettingsFromSecret(
    config.upstashSecretId,
    await secretString(config.upstashSecretId),
  );
  const { redisPrefix: prefix, timing } = config;
  const storeOf = (name: KeyringName) =>
    new SecretsManagerKeyringStore({
      client: secrets,
      prefix: keyringSecretPrefix(config.secretPrefix, name),
      deletesMaterial: options.deletesMaterial,
      replicaRegions: config.replicaRegions,
      publishesPublicKeys: name === "signing",
      ...(config.owner === undefined ? {} : { owner: config.owner }),
      ...(config.kmsKeyId === undefined ? {} : { kmsKeyId: config.kmsKeyId }),
    });
  const signing: AwsOperationDeps = {
    keyringName: "signing",
    ...(config.signingKeys === "kms"
      ? {
          custody: kmsCustody({
            kms: kmsFromEnvironment(env),
            random: cryptoRandom,
            tags: signingKeyTags(config.secretPrefix, config.owner),
            // Like material: only the rotation function destroys.
            schedulesDeletion: options.deletesMaterial,
          }),
        }
      : {}),
    keyrings: storeOf("signing"),
    revocations: new UpstashRevocationStore({ ...upstash, prefix, timing, budgetMs: 2_000 }),
    audit: new UpstashAuditJournal(upstash, undefined, prefix),
    events: withEventMetrics(
      new EventBridgePublisher(
        new EventBridgeClient(awsClientSettings(env, "AWS_ENDPOINT_URL_EVENTBRIDGE")),
        config.eventBus,
      ),
      options.write ?? stdoutWriter,
      options.functionName,
    ),
    clock: systemClock,
    random: cryptoRandom,
    policy: config.policy,
    timing,
    usage: new UpstashUsageStore(upstash, prefix),
    receipts: new UpstashReceipts(upstash, prefix),
    jwksConsumers: new UpstashJwksConsumers(upstash, prefix),
    refreshes: new UpstashRefreshStore({ ...upstash, prefix }),
    secretString,
    checkEviction: () => checkEviction(createUpstashClient(upstash, WRITE_BUDGET_MS)),
    keyring: (name) =>
      name === "signing" ? signing : onKeyring(signing, name, storeOf(name), config.policies[name]),
  };
  return signing;
}
