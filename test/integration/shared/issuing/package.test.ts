import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { createAuthorizerFromEnv } from "../../../../functions/authorizer/wiring.ts";
import { SecretsManagerKeyringStore } from "../../../../shared/keyring-store/secrets-manager.ts";
import { httpApiEvent } from "../../../support/authorizer-events.ts";
import { motoEnvironment, secretsManagerClient } from "../../../support/aws.ts";
import { newKeyring } from "../../../support/keyrings.ts";

const ROOT = new URL("../../../..", import.meta.url).pathname;

function run(script: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("keyward/issuer, the published package (dist/issuer.mjs, built on install)", () => {
  it("issues from plain Node against Secrets Manager (moto), and the authorizer accepts the token", async () => {
    expect(existsSync(`${ROOT}dist/issuer.mjs`)).toBe(true);
    const { motoUrl, upstashUrl, upstashToken } = inject("services");
    const prefix = `keyward/${randomUUID()}`;
    const keyring = await newKeyring("ES256", Date.now());
    await new SecretsManagerKeyringStore({ client: secretsManagerClient(motoUrl), prefix }).save(
      keyring,
    );
    const env = { ...motoEnvironment(motoUrl), KEYWARD_SECRET_PREFIX: prefix };
    const issued = await run(`${ROOT}test/fixtures/issue-token.mjs`, ["bob"], env);
    expect(issued).toMatchObject({ code: 0, stderr: "" });
    const { token, kid, jti, expiresAt } = JSON.parse(issued.stdout);
    expect(kid).toBe(keyring.keys[0]?.kid);
    expect(jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    const authorizer = await createAuthorizerFromEnv({
      ...env,
      KEYWARD_REDIS_PREFIX: `a${randomUUID()}:`,
      UPSTASH_REDIS_REST_URL: upstashUrl,
      UPSTASH_REDIS_REST_TOKEN: upstashToken,
    });
    expect(await authorizer(httpApiEvent({ authorization: `Bearer ${token}` }))).toMatchObject({
      isAuthorized: true,
      context: { sub: "bob", kid },
    });
  });
});
