import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { startLocalStack, storesFromEnv } from "../../../../functions/local/stack.ts";
import { SecretsManagerKeyringStore } from "../../../../shared/keyring-store/secrets-manager.ts";
import { UpstashRevocationStore } from "../../../../shared/revocation/upstash.ts";
import { motoEnvironment, secretsManagerClient } from "../../../support/aws.ts";
import { issue, startCli } from "../../../support/cli.ts";

describe("the local stack with real stores configured", () => {
  it("keeps the keyring in Secrets Manager and revocations in Upstash when their settings are present", async () => {
    const services = inject("services");
    const prefix = `keyward/local-${randomUUID()}`;
    const saved = { ...process.env };
    Object.assign(process.env, motoEnvironment(services.motoUrl));
    const local = mkdtempSync(join(tmpdir(), "keyward-real-"));
    const real = await startLocalStack({
      port: 0,
      dir: local,
      tickMs: 3_600_000,
      stores: storesFromEnv({
        KEYWARD_SECRET_PREFIX: prefix,
        UPSTASH_REDIS_REST_URL: services.upstashUrl,
        UPSTASH_REDIS_REST_TOKEN: services.upstashToken,
      }),
    });
    try {
      expect(existsSync(join(local, "keyring.json"))).toBe(false);
      const stored = await new SecretsManagerKeyringStore({
        client: secretsManagerClient(services.motoUrl),
        prefix,
      }).load();
      expect(stored?.keys).toHaveLength(1);
      const token = (
        (await (await issue(real.url, local, '{"sub":"erin"}')).json()) as { token: string }
      ).token;
      const run = await startCli(["revoke", "--sub", "erin", "--reason", "test"], {
        KEYWARD_URL: real.url,
        KEYWARD_LOCAL_DIR: local,
        KEYWARD_OPS_TOKEN: "",
      }).done;
      expect(run.code).toBe(0);
      expect(
        (await fetch(`${real.url}/whoami`, { headers: { authorization: `Bearer ${token}` } }))
          .status,
      ).toBe(401);
      const upstash = new UpstashRevocationStore({
        url: services.upstashUrl,
        token: services.upstashToken,
        timing: { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 },
      });
      expect(await upstash.check({ sub: "erin", issuedAtMs: 1000, claims: {} })).toMatchObject({
        revoked: true,
        rule: "subject",
      });
    } finally {
      await real.stop();
      process.env = saved;
      rmSync(local, { recursive: true, force: true });
    }
  });
});
