import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { SecretsManagerKeyringStore } from "../../../../shared/keyring-store/secrets-manager.ts";
import { authorizerOn } from "../../../support/authorizer.ts";
import { httpApiEvent } from "../../../support/authorizer-events.ts";
import { motoEnvironment, secretsManagerClient } from "../../../support/aws.ts";
import { newKeyring } from "../../../support/keyrings.ts";
import { runToEnd } from "../../../support/processes.ts";

const ROOT = new URL("../../../..", import.meta.url).pathname;

describe("keyward/issuer, the published package (dist/issuer.mjs, built on install)", () => {
  it("issues from plain Node against Secrets Manager (moto), and the authorizer accepts the token", async () => {
    expect(existsSync(`${ROOT}dist/issuer.mjs`)).toBe(true);
    const { motoUrl } = inject("services");
    const prefix = `keyward/${randomUUID()}`;
    const keyring = await newKeyring("ES256", Date.now());
    await new SecretsManagerKeyringStore({ client: secretsManagerClient(motoUrl), prefix }).save(
      keyring,
    );
    const env = { ...motoEnvironment(motoUrl), KEYWARD_SECRET_PREFIX: prefix };
    const issued = await runToEnd(
      process.execPath,
      [`${ROOT}test/fixtures/issue-token.mjs`, "bob"],
      env,
      ROOT,
    );
    expect(issued).toMatchObject({ code: 0, stderr: "" });
    const { token, kid, jti, expiresAt } = JSON.parse(issued.stdout);
    expect(kid).toBe(keyring.keys[0]?.kid);
    expect(jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    const authorizer = await authorizerOn(motoEnvironment(motoUrl), prefix, inject("services"));
    expect(await authorizer(httpApiEvent({ authorization: `Bearer ${token}` }))).toMatchObject({
      isAuthorized: true,
      context: { sub: "bob", kid },
    });
  });
});
