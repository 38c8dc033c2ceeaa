import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { SecretsManagerKeyringStore } from "../../../shared/keyring-store/secrets-manager.ts";
import { importSecret } from "../../../shared/operations/import.ts";
import { authorizerOn } from "../../support/authorizer.ts";
import { httpApiEvent } from "../../support/authorizer-events.ts";
import { motoEnvironment, secretsManagerClient } from "../../support/aws.ts";
import { opsFixture } from "../../support/ops.ts";
import { freePort } from "../../support/processes.ts";

const ROOT = new URL("../../..", import.meta.url).pathname;

describe("docs/migrating-express.md", () => {
  it("runs the guide's login service: it signs through keyward/issuer, and the authorizer accepts its tokens", async () => {
    const { motoUrl } = inject("services");
    const prefix = `keyward/${randomUUID()}`;
    // Step 2 of the guide: the JWT_SECRET is imported (as `keyward keys import` does).
    const store = new SecretsManagerKeyringStore({ client: secretsManagerClient(motoUrl), prefix });
    const { deps } = await opsFixture({ keyring: null });
    expect(
      await importSecret(
        { ...deps, keyrings: store, clock: { now: () => Date.now() } },
        {
          secret: "the-secret-our-old-backend-signs-with-0123",
          encoding: "utf8",
          tokenLifetimeSeconds: 3600,
          reason: "migration",
          actor: "guide",
        },
      ),
    ).toMatchObject({ ok: true });
    const env = { ...motoEnvironment(motoUrl), KEYWARD_SECRET_PREFIX: prefix };
    const port = await freePort();
    const service = spawn(process.execPath, [`${ROOT}docs/examples/express-login.mjs`], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...env, PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        service.stdout.on("data", (d) => String(d).includes("listening") && resolve());
        service.on("exit", (code) => reject(new Error(`the guide's service exited with ${code}`)));
      });
      const login = (password: string) =>
        fetch(`http://127.0.0.1:${port}/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username: "alice", password }),
        });
      expect((await login("wrong")).status).toBe(401);
      const answer = await login("correct horse");
      expect(answer.status).toBe(200);
      const { token } = (await answer.json()) as { token: string };
      const authorizer = await authorizerOn(motoEnvironment(motoUrl), prefix, inject("services"));
      expect(await authorizer(httpApiEvent({ authorization: `Bearer ${token}` }))).toMatchObject({
        isAuthorized: true,
        context: { sub: "user-1", keyStatus: "current" },
      });
    } finally {
      service.kill("SIGTERM");
    }
  });
});
