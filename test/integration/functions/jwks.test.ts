import { randomUUID } from "node:crypto";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  ListSecretsCommand,
} from "@aws-sdk/client-secrets-manager";
import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, inject, it } from "vitest";
import { createJwksAppFromEnv } from "../../../functions/jwks/wiring.ts";
import { createIssuer } from "../../../shared/issuing/issuer.ts";
import { SecretsManagerKeyringStore } from "../../../shared/keyring-store/secrets-manager.ts";
import { UpstashJwksConsumers } from "../../../shared/receipts/upstash-jwks.ts";
import { motoEnvironment, secretsManagerClient } from "../../support/aws.ts";
import { newKeyring } from "../../support/keyrings.ts";

async function deployed(algorithm: "ES256" | "HS256") {
  const { motoUrl } = inject("services");
  const prefix = `keyward/${randomUUID()}`;
  // A writer of the signing keyring publishes its public keys beside it.
  const store = new SecretsManagerKeyringStore({
    client: secretsManagerClient(motoUrl),
    prefix,
    publishesPublicKeys: true,
  });
  await store.save(await newKeyring(algorithm));
  const env = { ...motoEnvironment(motoUrl), KEYWARD_SECRET_PREFIX: prefix };
  const answer = await createJwksAppFromEnv(env).request("/.well-known/jwks.json");
  return { store, answer, body: (await answer.json()) as { keys: Record<string, unknown>[] } };
}

describe("the public JWKS function from its environment (moto)", () => {
  it("serves the public keys the writers published, which verify keyward's ES256 tokens with plain jose, cacheable within the keyring TTL", async () => {
    const { store, answer, body } = await deployed("ES256");
    expect(answer.headers.get("cache-control")).toBe("public, max-age=50");
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({ kty: "EC", alg: "ES256", use: "sig", status: "current" });
    expect(body.keys[0]).not.toHaveProperty("d");
    const issued = await createIssuer({ keyring: { load: () => store.load() } }).issue({
      sub: "outside",
    });
    const { payload } = await jwtVerify(issued.token, createLocalJWKSet(body as never));
    expect(payload.sub).toBe("outside");
  });

  it("never serves HMAC material: an HS256 keyring has an empty key set", async () => {
    const { body } = await deployed("HS256");
    expect(body).toEqual({ keys: [] });
  });

  it("reads only the published public keys, never the keyring: with the keyring's secrets gone it still answers", async () => {
    const { motoUrl } = inject("services");
    const prefix = `keyward/${randomUUID()}`;
    const client = secretsManagerClient(motoUrl);
    const store = new SecretsManagerKeyringStore({ client, prefix, publishesPublicKeys: true });
    await store.save(await newKeyring("ES256"));
    // The state and the key's material, deleted: only <prefix>/public/jwks is left.
    const names =
      (
        await client.send(new ListSecretsCommand({ Filters: [{ Key: "name", Values: [prefix] }] }))
      ).SecretList?.map((secret) => secret.Name ?? "") ?? [];
    expect(names).toContain(`${prefix}/public/jwks`);
    for (const name of names.filter((n) => n !== `${prefix}/public/jwks`))
      await client.send(
        new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }),
      );
    const env = { ...motoEnvironment(motoUrl), KEYWARD_SECRET_PREFIX: prefix };
    const answer = await createJwksAppFromEnv(env).request("/.well-known/jwks.json");
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { keys: unknown[] }).keys).toHaveLength(1);
  });

  it("records who fetched the keys in Upstash with the readers' credentials (agent and source network), and the rotation reads them back", async () => {
    const { motoUrl, upstashUrl, upstashToken } = inject("services");
    const prefix = `keyward/${randomUUID()}`;
    const client = secretsManagerClient(motoUrl);
    await new SecretsManagerKeyringStore({ client, prefix, publishesPublicKeys: true }).save(
      await newKeyring("ES256"),
    );
    const upstashSecret = `keyward/upstash-readers-${randomUUID()}`;
    await client.send(
      new CreateSecretCommand({
        Name: upstashSecret,
        SecretString: JSON.stringify({ url: upstashUrl, token: upstashToken }),
      }),
    );
    const redisPrefix = `r${randomUUID()}:`;
    const app = createJwksAppFromEnv({
      ...motoEnvironment(motoUrl),
      KEYWARD_SECRET_PREFIX: prefix,
      KEYWARD_UPSTASH_SECRET_ID: upstashSecret,
      KEYWARD_REDIS_PREFIX: redisPrefix,
    });
    // As the Lambda adapter hands a Function URL's request over: the event's requestContext.
    const answer = await app.request(
      "/.well-known/jwks.json",
      { headers: { "user-agent": "PyJWT/2.8.0" } },
      { requestContext: { http: { sourceIp: "203.0.113.77" } } },
    );
    expect(answer.status).toBe(200);
    const consumers = await new UpstashJwksConsumers(
      { url: upstashUrl, token: upstashToken },
      redisPrefix,
    ).recent();
    expect(consumers).toEqual([
      {
        consumer: expect.stringMatching(/^[0-9a-f]{16}$/),
        agent: "PyJWT/2.8.0",
        source: "203.0.113.0/24",
        fetchedAt: expect.any(Number),
      },
    ]);
  });
});
