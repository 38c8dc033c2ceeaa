import { randomUUID } from "node:crypto";
import { CreateSecretCommand, ListSecretsCommand } from "@aws-sdk/client-secrets-manager";
import { describe, expect, inject, it } from "vitest";
import { createTeardownFromEnv } from "../../../functions/teardown/wiring.ts";
import { keyringSecretPrefix } from "../../../shared/keyring/names.ts";
import { createKeyring, publishKey } from "../../../shared/keyring/transitions.ts";
import { kmsCustody, signingKeyTags } from "../../../shared/keyring-store/kms-custody.ts";
import { kmsFromEnvironment } from "../../../shared/keyring-store/kms-keys.ts";
import { SecretsManagerKeyringStore } from "../../../shared/keyring-store/secrets-manager.ts";
import { motoEnvironment, secretsManagerClient } from "../../support/aws.ts";
import { seededRandom, T0 } from "../../support/deterministic.ts";
import { expectOk, newKeyring, withPending } from "../../support/keyrings.ts";

const OWNER = "Staging/Keyward";

/**
 * A keyring as the functions write it (state and two keys' material, tagged with their owner),
 * plus a neighbour's secrets, and one under the prefix that another deployment tagged.
 */
async function deployed() {
  const { motoUrl } = inject("services");
  const client = secretsManagerClient(motoUrl);
  const prefix = `keyward/${randomUUID()}`;
  const store = new SecretsManagerKeyringStore({ client, prefix, owner: OWNER });
  await store.save(await withPending(await newKeyring(), "HS256", T0, seededRandom("teardown")));
  const sessions = new SecretsManagerKeyringStore({
    client,
    prefix: keyringSecretPrefix(prefix, "sessions"),
    owner: OWNER,
  });
  await sessions.save(await newKeyring("A256GCM", T0, seededRandom("teardown-sessions")));
  // Names that share the prefix's first characters but are not under it.
  for (const name of [`${prefix}-staging/keyring`, `${prefix}x/keys/k1`]) {
    await client.send(new CreateSecretCommand({ Name: name, SecretString: "{}" }));
  }
  const names = async (under: string) => {
    const page = await client.send(
      new ListSecretsCommand({ Filters: [{ Key: "name", Values: [under] }], MaxResults: 100 }),
    );
    return (page.SecretList ?? []).map((s) => s.Name).sort();
  };
  await client.send(
    new CreateSecretCommand({
      Name: `${prefix}/keys/another-owners`,
      SecretString: "{}",
      Tags: [{ Key: "keyward:owner", Value: "Production/Keyward" }],
    }),
  );
  const env = { KEYWARD_SECRET_PREFIX: prefix, KEYWARD_OWNER: OWNER, ...motoEnvironment(motoUrl) };
  return { prefix, env, names };
}

describe("the keyring teardown (the custom resource of removalPolicy DESTROY, against moto)", () => {
  it("deletes both keyrings' state and every key's material on delete, and nothing beside them or owned by another deployment", async () => {
    const { prefix, env, names } = await deployed();
    expect(await names(`${prefix}/`)).toHaveLength(4);
    expect(await names(`${prefix}-sessions/`)).toHaveLength(2);
    const lines: string[] = [];
    const handler = createTeardownFromEnv(env, (line) => lines.push(line));

    expect(await handler({ RequestType: "Delete", PhysicalResourceId: prefix })).toEqual({
      PhysicalResourceId: prefix,
    });
    expect(await names(`${prefix}/`)).toEqual([`${prefix}/keys/another-owners`]);
    expect(await names(`${prefix}-sessions/`)).toEqual([]);
    expect(await names(prefix)).toEqual([
      `${prefix}-staging/keyring`,
      `${prefix}/keys/another-owners`,
      `${prefix}x/keys/k1`,
    ]);
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([
      { message: "keyring secrets deleted", keyring: "signing", prefix, count: 3 },
      {
        message: "keyring secrets deleted",
        keyring: "sessions",
        prefix: `${prefix}-sessions`,
        count: 2,
      },
    ]);
  });

  it("schedules the deletion of each signing key KMS holds before the secrets go, and goes on past one KMS refuses", async () => {
    const { motoUrl } = inject("services");
    const client = secretsManagerClient(motoUrl);
    const prefix = `keyward/${randomUUID()}`;
    const env = {
      KEYWARD_SECRET_PREFIX: prefix,
      KEYWARD_OWNER: OWNER,
      ...motoEnvironment(motoUrl),
    };
    const kms = kmsFromEnvironment(env);
    const custody = kmsCustody({
      kms,
      random: seededRandom("teardown-kms"),
      tags: signingKeyTags(prefix, OWNER),
      schedulesDeletion: true,
    });
    const current = await custody.create("ES256", T0);
    const pending = await custody.create("ES256", T0 + 1);
    const keyring = expectOk(publishKey(createKeyring(current, T0), pending, T0 + 1));
    // A key already gone from KMS (deleted by hand): named, and the teardown goes on.
    const gone = { ...pending, kid: "gone-key-0123456789ab", kms: { arn: `${current.kms?.arn}0` } };
    await new SecretsManagerKeyringStore({ client, prefix, owner: OWNER }).save({
      ...keyring,
      keys: [...keyring.keys, gone],
    });
    const lines: string[] = [];
    await createTeardownFromEnv(env, (line) => lines.push(line))({
      RequestType: "Delete",
      PhysicalResourceId: prefix,
    });
    for (const key of [current, pending])
      expect(await kms.state(key.kms?.arn ?? "")).toBe("PendingDeletion");
    const [scheduled] = lines.map((line) => JSON.parse(line));
    expect(scheduled).toMatchObject({
      level: "warn",
      message: "KMS keys' deletion scheduled",
      count: 2,
      problems: [expect.stringMatching(/^gone-key-0123456789ab: KMS ScheduleKeyDeletion/)],
    });
  });

  it("deletes nothing on create or update, even when the prefix changed", async () => {
    const { prefix, env, names } = await deployed();
    const handler = createTeardownFromEnv(env, () => {});
    expect(await handler({ RequestType: "Create" })).toEqual({ PhysicalResourceId: prefix });
    const moved = createTeardownFromEnv({ ...env, KEYWARD_SECRET_PREFIX: "keyward/elsewhere" });
    expect(await moved({ RequestType: "Update", PhysicalResourceId: prefix })).toEqual({
      PhysicalResourceId: prefix,
    });
    expect(await names(`${prefix}/`)).toHaveLength(4);
  });
});
