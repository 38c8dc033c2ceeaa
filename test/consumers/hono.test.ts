import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import { SecretsManagerKeyringStore } from "../../shared/keyring-store/secrets-manager.ts";
import { UpstashRevocationStore } from "../../shared/revocation/upstash.ts";
import { createSigner } from "../../shared/tokens/signer.ts";
import { motoEnvironment, secretsManagerClient } from "../support/aws.ts";
import { NODES, useConsumer } from "../support/consumers.ts";
import { newKeyring } from "../support/keyrings.ts";
import { COMPATIBILITY_DATE } from "../support/workerd.ts";

const consumer = useConsumer("hono-app", { hono: "4.13.19" });

/** A deployment: its keyring in Secrets Manager (moto), its rules in Upstash, and its settings. */
let deployment: {
  env: Record<string, string>;
  keyring: Keyring;
  revoke: (sub: string) => Promise<unknown>;
};
beforeAll(async () => {
  const { motoUrl, upstashUrl, upstashToken } = inject("services");
  const prefix = `keyward/${randomUUID()}`;
  const redisPrefix = `h${randomUUID().slice(0, 8)}:`;
  const keyring = await newKeyring("HS256", Date.now());
  await new SecretsManagerKeyringStore({ client: secretsManagerClient(motoUrl), prefix }).save(
    keyring,
  );
  const rules = new UpstashRevocationStore({
    url: upstashUrl,
    token: upstashToken,
    prefix: redisPrefix,
    timing: { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 },
  });
  deployment = {
    keyring,
    env: {
      ...motoEnvironment(motoUrl),
      KEYWARD_SECRET_PREFIX: prefix,
      KEYWARD_REDIS_PREFIX: redisPrefix,
      UPSTASH_REDIS_REST_URL: upstashUrl,
      UPSTASH_REDIS_REST_TOKEN: upstashToken,
    },
    revoke: (sub) => rules.revoke([{ kind: "subject", sub }], Date.now()),
  };
});

const mint = (sub: string) => createSigner().sign(deployment.keyring, { sub }, Date.now());

describe("keyward/hono from the tarball, in a team's own Hono app", () => {
  it.each(Object.entries(NODES))(
    "on Node %s: accepts a token, and refuses it once revoked",
    async (_, node) => {
      const sub = `user-${randomUUID()}`;
      const [token, other] = [await mint(sub), await mint(`other-${randomUUID()}`)];
      const requests = (...tokens: string[]) => tokens.map((t) => `GET /orders ${t}`).join("\n");
      const before = await consumer.node("app.mjs", {
        node,
        env: deployment.env,
        input: requests(token, ""),
      });
      // Each answer's status on a line of its own, between keyward's JSON log lines.
      const statuses = (out: string) => out.split("\n").filter((line) => /^\d{3}$/.test(line));
      expect(before, before.stderr).toMatchObject({ code: 0 });
      expect(statuses(before.stdout)).toEqual(["200", "401"]);
      await deployment.revoke(sub);
      const after = await consumer.node("app.mjs", {
        node,
        env: deployment.env,
        input: requests(token, other),
      });
      expect(after, after.stderr).toMatchObject({ code: 0 });
      expect(statuses(after.stdout)).toEqual(["401", "200"]);
      expect(after.stdout).toContain('"reason":"revoked"');
      expect(before.stdout + before.stderr + after.stdout + after.stderr).not.toContain(token);
    },
  );

  it("as a Worker inside workerd: accepts a token, and refuses it once revoked", async () => {
    const bundled = await build({
      entryPoints: [join(consumer.dir, "worker.mjs")],
      absWorkingDir: consumer.dir,
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      conditions: ["workerd", "worker", "browser"],
      external: ["cloudflare:workers"],
      logLevel: "silent",
    });
    const mf = new Miniflare({
      modules: true,
      script: bundled.outputFiles[0]?.text ?? "",
      compatibilityDate: COMPATIBILITY_DATE,
      bindings: deployment.env,
    });
    try {
      const request = async (token: string) =>
        (
          await mf.dispatchFetch("http://worker.test/orders", {
            headers: { authorization: `Bearer ${token}` },
          })
        ).status;
      const sub = `user-${randomUUID()}`;
      const token = await mint(sub);
      expect(await request(token)).toBe(200);
      await deployment.revoke(sub);
      // The mirror's promise: refused within 1 s of the revocation's answer.
      const deadline = Date.now() + 5_000;
      let status = await request(token);
      while (status !== 401 && Date.now() < deadline) status = await request(token);
      expect(status).toBe(401);
    } finally {
      await mf.dispose();
    }
  });
});
