import { randomUUID } from "node:crypto";
import { CreateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { describe, expect, inject, it } from "vitest";
import { createIssuingAppFromEnv } from "../../../functions/issuer-api/wiring.ts";
import { createOpsAppFromEnv } from "../../../functions/ops-api/wiring.ts";
import { sha256, toHex } from "../../../shared/access/credentials.ts";
import { UpstashAuditJournal } from "../../../shared/audit/upstash.ts";
import { SecretsManagerKeyringStore } from "../../../shared/keyring-store/secrets-manager.ts";
import { motoEnvironment, secretsManagerClient } from "../../support/aws.ts";
import { busWithQueue } from "../../support/eventbridge.ts";
import { newKeyring } from "../../support/keyrings.ts";

const CLIENT = "login-credential-0123456789abcdef0123";
const OPERATOR = "operator-credential-0123456789abcdef";

describe("refresh tokens as deployed (the issuing function and the ops API from their environment, moto, local Upstash)", () => {
  it("rotates a family, revokes it on reuse with a RefreshTokenReused event, journal entry and metric, and the ops API lists then forgets it", async () => {
    const services = inject("services");
    const client = secretsManagerClient(services.motoUrl);
    const secret = async (value: string) =>
      (
        await client.send(
          new CreateSecretCommand({ Name: `keyward/t-${randomUUID()}`, SecretString: value }),
        )
      ).ARN as string;
    const prefix = `keyward/${randomUUID()}`;
    await new SecretsManagerKeyringStore({ client, prefix }).save(await newKeyring("HS256"));
    const { bus, received } = await busWithQueue(services.motoUrl);
    const redisPrefix = `d${randomUUID()}:`;
    const upstash = { url: services.upstashUrl, token: services.upstashToken };
    const env = {
      ...motoEnvironment(services.motoUrl),
      KEYWARD_SECRET_PREFIX: prefix,
      KEYWARD_UPSTASH_SECRET_ID: await secret(JSON.stringify(upstash)),
      KEYWARD_REDIS_PREFIX: redisPrefix,
      KEYWARD_EVENT_BUS: bus,
    };
    const lines: string[] = [];
    const issuing = await createIssuingAppFromEnv(
      {
        ...env,
        KEYWARD_REFRESH_SECRET_ID: await secret(
          "a-generated-refresh-secret-of-64-characters-0123456789abcdefghij",
        ),
        KEYWARD_REFRESH_GRACE_SECONDS: "0",
        KEYWARD_ISSUING_CLIENTS: JSON.stringify([
          {
            name: "web",
            tokenSha256: toHex(sha256(CLIENT)),
            claims: [],
            audiences: [],
            maxLifetimeSeconds: 900,
          },
        ]),
      },
      (line) => lines.push(line),
    );
    const post = async (path: string, body: unknown) => {
      const answer = await issuing.request(path, {
        method: "POST",
        headers: { authorization: `Bearer ${CLIENT}` },
        body: JSON.stringify(body),
      });
      return { status: answer.status, body: (await answer.json()) as Record<string, string> };
    };
    const login = await post("/v1/tokens", { sub: "grace", refresh: true, userAgent: "Firefox" });
    expect(login).toMatchObject({ status: 201, body: { familyId: expect.any(String) } });
    const owner = await post("/v1/tokens/refresh", { refreshToken: login.body.refreshToken });
    expect(owner.status).toBe(200);

    const ops = await createOpsAppFromEnv({
      ...env,
      KEYWARD_OPERATORS: JSON.stringify([
        { name: "ic", role: "viewer", tokenSha256: toHex(sha256(OPERATOR)) },
      ]),
    });
    const families = async () =>
      (await (
        await ops.request("/v1/families?sub=grace", {
          headers: { authorization: `Bearer ${OPERATOR}` },
        })
      ).json()) as { families: { familyId: string; userAgent?: string; client?: string }[] };
    expect((await families()).families).toEqual([
      expect.objectContaining({
        familyId: login.body.familyId,
        userAgent: "Firefox",
        client: "web",
      }),
    ]);

    // The leaked first token, replayed after the owner's refresh (grace 0).
    expect(
      await post("/v1/tokens/refresh", { refreshToken: login.body.refreshToken }),
    ).toMatchObject({
      status: 401,
      body: { error: { code: "refresh_token_reused" } },
    });
    expect(
      await post("/v1/tokens/refresh", { refreshToken: owner.body.refreshToken }),
    ).toMatchObject({
      status: 401,
      body: { error: { code: "refresh_token_revoked" } },
    });
    expect((await families()).families).toEqual([]);
    const [event] = await received(1);
    expect(event).toMatchObject({
      "detail-type": "RefreshTokenReused",
      detail: { sub: "grace", familyId: login.body.familyId },
    });
    const journal = await new UpstashAuditJournal(upstash, undefined, redisPrefix).read({
      limit: 5,
    });
    expect(journal.entries).toMatchObject([
      { action: "refresh.reused", actor: "issuing", target: `family:${login.body.familyId}` },
    ]);
    expect(lines.map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({ Type: "RefreshTokenReused", Events: 1, Function: "issuing" }),
    );
    const everything = JSON.stringify([lines, event, journal]);
    for (const token of [login.body.refreshToken, owner.body.refreshToken, login.body.token])
      expect(everything).not.toContain(String(token));
  });
});
