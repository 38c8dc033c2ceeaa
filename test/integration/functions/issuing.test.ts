import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { startLocalStack, storesFromEnv } from "../../../functions/local/stack.ts";
import { authorizerOn } from "../../support/authorizer.ts";
import { httpApiEvent } from "../../support/authorizer-events.ts";
import { motoEnvironment } from "../../support/aws.ts";
import { runToEnd } from "../../support/processes.ts";

const ROOT = new URL("../../..", import.meta.url).pathname;

describe("the issuing endpoint from another language", () => {
  it("logs a user in from Python (requests, botocore SigV4) through the local stack, and the authorizer accepts the token", async () => {
    const { motoUrl, upstashUrl, upstashToken } = inject("services");
    const prefix = `keyward/${randomUUID()}`;
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
      // The login service in Python, with its credential (and once with a wrong one).
      const python = (presented: string) =>
        runToEnd(
          join(ROOT, ".venv/bin/python"),
          [join(ROOT, "test/clients/django_login.py"), stack.url, "dana"],
          { ...aws, KEYWARD_ISSUER_CREDENTIAL: presented },
        );
      const login = await python(credential);
      expect(login).toMatchObject({ code: 0, stderr: "" });
      const { token, kid } = JSON.parse(login.stdout);
      const refused = await python("not-the-credential-0123456789abcdef");
      expect(refused).toMatchObject({
        code: 1,
        stderr: expect.stringContaining("401 unauthorized"),
      });
      const authorizer = await authorizerOn(aws, prefix, inject("services"));
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
