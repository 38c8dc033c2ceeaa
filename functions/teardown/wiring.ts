import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { awsClientSettings } from "../../shared/config/aws-env.ts";
import { type Environment, EnvReader } from "../../shared/config/env.ts";
import { KEYRING_NAMES, keyringSecretPrefix } from "../../shared/keyring/names.ts";
import { kmsOnFirstUse } from "../../shared/keyring-store/kms-keys.ts";
import {
  deleteKeyringSecrets,
  scheduleKmsKeysDeletion,
} from "../../shared/keyring-store/teardown.ts";
import { createLogger, type LineWriter, stdoutWriter } from "../../shared/observability/log.ts";

/** What CloudFormation (through CDK's Provider framework) sends a custom resource's handler. */
export interface TeardownEvent {
  readonly RequestType: "Create" | "Update" | "Delete";
  readonly PhysicalResourceId?: string;
}

/**
 * The keyring teardown of a stack deployed with `removalPolicy: DESTROY`: nothing on create or
 * update; on delete (`cdk destroy`, or the construct removed), the deletion of every signing key
 * held in KMS (scheduled: KMS's shortest window is 7 days), then every secret of both keyrings
 * (under the prefix, and under `<prefix>-sessions`) that carries this deployment's owner tag. The physical id is the prefix it was created with and an update keeps it: an update
 * never deletes anything, even when the prefix changes (the first prefix is the one deleted).
 */
export function createTeardownFromEnv(env: Environment, write: LineWriter = stdoutWriter) {
  const read = new EnvReader(env);
  const prefix = read.required("KEYWARD_SECRET_PREFIX", "the keyring's Secrets Manager prefix");
  const owner = read.required("KEYWARD_OWNER", "the deployment whose secrets may be deleted");
  read.done();
  const log = createLogger("keyward-teardown", write);
  const client = new SecretsManagerClient(
    awsClientSettings(env, "AWS_ENDPOINT_URL_SECRETS_MANAGER"),
  );
  const held = kmsOnFirstUse(env);
  const kms = { scheduleDeletion: (arn: string) => held().scheduleDeletion(arn) };
  return async (event: TeardownEvent): Promise<{ PhysicalResourceId: string }> => {
    const physical = event.PhysicalResourceId ?? prefix;
    if (event.RequestType === "Delete") {
      // Keys held in KMS first: their ARNs are in the signing keyring's state, deleted next.
      const { scheduled, problems } = await scheduleKmsKeysDeletion(client, kms, physical);
      if (scheduled > 0 || problems.length > 0)
        (problems.length === 0 ? log.info : log.warn)("KMS keys' deletion scheduled", {
          count: scheduled,
          ...(problems.length === 0 ? {} : { problems }),
        });
      // Both keyrings: the signing keyring under the prefix, the sessions keyring beside it.
      for (const keyring of KEYRING_NAMES) {
        const prefix = keyringSecretPrefix(physical, keyring);
        const deleted = await deleteKeyringSecrets(client, prefix, owner);
        log.info("keyring secrets deleted", { keyring, prefix, count: deleted.length });
      }
    }
    return { PhysicalResourceId: physical };
  };
}
