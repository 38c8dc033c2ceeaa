import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { createAuthorizerFromEnv } from "../../../functions/authorizer/wiring.ts";
import { startLocalStack, storesFromEnv } from "../../../functions/local/stack.ts";
import { httpApiEvent } from "../../support/authorizer-events.ts";
import { motoEnvironment } from "../../support/aws.ts";

const ROOT = new URL("../../..", import.meta.url).pathname;

function python(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(join(ROOT, ".venv/bin/python"), args, {
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the issuing endpoint from another language", () => {
  it("logs a user in from Python (requests, botocore SigV4) through the local stack, and the authorizer accepts the token", async () => {
    const { motoUrl, upstashUrl, upstashToken } = inject("services");
    const prefix = `keyward/${randomUUID()}`;
    const redisPrefix = `a${randomUUID()}:`;
    const dir = mkdtempSync(join(tmpdir(), "keyward-issuing-"));
    const aws = motoEnvironment(motoUrl);
    const saved = process.env;
    process.env = { ...process.env, ...aws };
    const stack = await startLocalStack({
      port: 0,
      dir,
      tickMs: 3_600_000,
      stores: storesFromEnv({
        KEYWARD_SECRET_PREFIX: prefix,
        UPSTASH_REDIS_REST_URL: upstashUrl,
        UPSTASH_REDIS_REST_TOKEN: upstashToken,
      }),
    });
    try {
      const credential = readFileSync(stack.issuerTokenFile, "utf8").trim();
      const login = await python([join(ROOT, "test/clients/django_login.py"), stack.url, "dana"], {
        ...aws,
        KEYWARD_ISSUER_CREDENTIAL: credential,
      });
      expect(login).toMatchObject({ code: 0, stderr: "" });
      const { token, kid } = JSON.parse(login.stdout);
      const refused = await python(
        [join(ROOT, "test/clients/django_login.py"), stack.url, "dana"],
        {
          ...aws,
          KEYWARD_ISSUER_CREDENTIAL: "not-the-credential-0123456789abcdef",
        },
      );
      expect(refused).toMatchObject({
        code: 1,
        stderr: expect.stringContaining("401 unauthorized"),
      });
      const authorizer = await createAuthorizerFromEnv({
        ...aws,
        KEYWARD_SECRET_PREFIX: prefix,
        KEYWARD_REDIS_PREFIX: redisPrefix,
        UPSTASH_REDIS_REST_URL: upstashUrl,
        UPSTASH_REDIS_REST_TOKEN: upstashToken,
      });
      expect(await authorizer(httpApiEvent({ authorization: `Bearer ${token}` }))).toMatchObject({
        isAuthorized: true,
        context: { sub: "dana", kid },
      });
    } finally {
      await stack.stop();
      process.env = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
