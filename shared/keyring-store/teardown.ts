import {
  DeleteSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import type { SerializedKeyring } from "../keyring/serialize.ts";
import type { KmsKeys } from "./kms-keys.ts";
import { stateName, trimPrefix } from "./secrets-layout.ts";
import { ownedBy } from "./secrets-manager.ts";

/**
 * Deletes every secret under `<prefix>/` that `owner` owns (the keyring's state, each key's
 * material and its public keys, which the functions created and CloudFormation does not know), at
 * once and without a recovery window, and returns their names; secrets another deployment tagged,
 * or left untagged, stay. Only for taking a deployment down for good: tokens signed with these
 * keys can never be verified again. A name the filter returns outside the prefix is left alone.
 */
export async function deleteKeyringSecrets(
  client: SecretsManagerClient,
  prefix: string,
  owner: string,
): Promise<string[]> {
  const under = `${trimPrefix(prefix)}/`;
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListSecretsCommand({
        Filters: [{ Key: "name", Values: [under] }],
        MaxResults: 100,
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      }),
    );
    for (const secret of page.SecretList ?? [])
      if (secret.Name?.startsWith(under) === true && ownedBy(secret, owner))
        names.push(secret.Name);
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  for (const name of names) {
    await client.send(
      new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }),
    );
  }
  return names;
}

/**
 * Before a keyring's secrets go: schedules the deletion of every key its state says KMS holds
 * (not yet destroyed), so a deployment taken down leaves no signing key enabled, nor billed past
 * KMS's 7-day window. Answers how many were scheduled and the problems met: a key KMS refuses
 * (gone already, or not this role's) is named and the teardown goes on, since the stack's
 * deletion must not hang on it.
 */
export async function scheduleKmsKeysDeletion(
  client: SecretsManagerClient,
  kms: Pick<KmsKeys, "scheduleDeletion">,
  prefix: string,
): Promise<{ scheduled: number; problems: string[] }> {
  let state: string | undefined;
  try {
    state = (await client.send(new GetSecretValueCommand({ SecretId: stateName(prefix) })))
      .SecretString;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return { scheduled: 0, problems: [] };
    throw error;
  }
  const keys = (JSON.parse(state ?? "{}") as SerializedKeyring).keys ?? [];
  let scheduled = 0;
  const problems: string[] = [];
  for (const key of keys) {
    if (key.kms === undefined || key.status === "destroyed") continue;
    try {
      await kms.scheduleDeletion(key.kms.arn);
      scheduled++;
    } catch (error) {
      problems.push(`${key.kid}: ${(error as Error).message}`);
    }
  }
  return { scheduled, problems };
}
