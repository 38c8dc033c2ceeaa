import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { keyringSecretPrefix } from "../../../../shared/keyring/names.ts";
import { SecretsManagerKeyringStore } from "../../../../shared/keyring-store/secrets-manager.ts";
import { motoEnvironment, secretsManagerClient } from "../../../support/aws.ts";
import { newKeyring } from "../../../support/keyrings.ts";
import { runToEnd } from "../../../support/processes.ts";

const ROOT = new URL("../../../..", import.meta.url).pathname;

describe("keyward/sessions, the published package (dist/sessions.mjs, built on install)", () => {
  it("seals and opens from plain Node with the sessions keyring in Secrets Manager (moto) and Upstash", async () => {
    expect(existsSync(`${ROOT}dist/sessions.mjs`)).toBe(true);
    const { motoUrl, upstashUrl, upstashToken } = inject("services");
    const prefix = `keyward/${randomUUID()}`;
    const keyring = await newKeyring("A256GCM", Date.now());
    await new SecretsManagerKeyringStore({
      client: secretsManagerClient(motoUrl),
      prefix: keyringSecretPrefix(prefix, "sessions"),
    }).save(keyring);
    const env = {
      ...motoEnvironment(motoUrl),
      KEYWARD_SECRET_PREFIX: prefix,
      UPSTASH_REDIS_REST_URL: upstashUrl,
      UPSTASH_REDIS_REST_TOKEN: upstashToken,
    };
    const fixture = `${ROOT}test/fixtures/seal-session.mjs`;
    const sealed = await runToEnd(process.execPath, [fixture, "seal", "cart=3"], env, ROOT);
    expect(sealed).toMatchObject({ code: 0, stderr: "" });
    const envelope = sealed.stdout.trim();
    expect(envelope.startsWith(`v1.${keyring.keys[0]?.kid}.`)).toBe(true);
    const opened = await runToEnd(process.execPath, [fixture, "open", envelope], env, ROOT);
    expect(opened).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(opened.stdout)).toMatchObject({
      ok: true,
      plaintext: "cart=3",
      reseal: false,
    });
  });
});
