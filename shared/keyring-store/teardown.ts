import {
  DeleteSecretCommand,
  ListSecretsCommand,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { trimPrefix } from "./secrets-layout.ts";
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
