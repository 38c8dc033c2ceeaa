import { createCipheriv, randomBytes } from "node:crypto";
import { ListSecretsCommand } from "@aws-sdk/client-secrets-manager";
import { describe, expect, inject, it } from "vitest";
import { createOpsAppFromEnv } from "../../../functions/ops-api/wiring.ts";
import { createRotationFromEnv } from "../../../functions/rotation/wiring.ts";
import { sha256, toHex } from "../../../shared/access/operators.ts";
import { DAY } from "../../../shared/kernel/clock.ts";
import { cryptoRandom } from "../../../shared/kernel/random.ts";
import { generateKey } from "../../../shared/keyring/generate.ts";
import { createKeyring } from "../../../shared/keyring/transitions.ts";
import { createSessions } from "../../../shared/sealing/sessions.ts";
import { secretsManagerClient } from "../../support/aws.ts";
import { deployedEnvironment } from "../../support/deployed.ts";

const CREDENTIAL = "an-operator-credential-0123456789abcdef";

/** The ops API as deployed (moto, the local Upstash), with one admin. */
async function opsApi(env: Record<string, string>) {
  const app = await createOpsAppFromEnv(
    {
      ...env,
      KEYWARD_OPERATORS: JSON.stringify([
        { name: "alice", role: "admin", tokenSha256: toHex(sha256(CREDENTIAL)) },
      ]),
    },
    () => undefined,
  );
  const headers = { authorization: `Bearer ${CREDENTIAL}`, "content-type": "application/json" };
  return async (method: string, path: string, body?: unknown) => {
    const answer = await app.request(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
  };
}

/** A service holding sessions, as it would use keyward/sessions in AWS. */
function service(env: Record<string, string>, prefix: string) {
  const { upstashUrl, upstashToken } = inject("services");
  return createSessions({
    keyring: { secretPrefix: prefix, env },
    upstash: { url: upstashUrl, token: upstashToken },
    redisPrefix: env.KEYWARD_REDIS_PREFIX ?? "kw:",
    // Generous for a busy test machine: the budget is not what these tests are about.
    revocationBudgetMs: 2_000,
  });
}

/** An envelope as the runbook's services sealed them: base64(IV ‖ ciphertext ‖ tag), no kid. */
function legacyEnvelope(key: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad));
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([iv, sealed]).toString("base64");
}

describe("the sessions keyring as deployed (moto, Upstash behind its REST server)", () => {
  it("imports SESSION_ENCRYPTION_KEY beside the signing keyring, opens the runbook's sessions and re-seals them, counting each open for the grace gate", async () => {
    const { env, prefix, sessionKeyrings } = await deployedEnvironment();
    const call = await opsApi(env);
    const key = randomBytes(32);
    const imported = await call("POST", "/v1/keyrings/sessions/keys/import", {
      secret: key.toString("base64"),
      reason: "adopt keyward",
    });
    expect(imported).toMatchObject({ status: 201, body: { status: "current" } });
    const kid = imported.body.kid as string;

    // Its secrets sit beside the signing keyring's prefix, never under it.
    const names = (
      await secretsManagerClient(inject("services").motoUrl).send(
        new ListSecretsCommand({ Filters: [{ Key: "name", Values: [prefix] }] }),
      )
    ).SecretList?.map((secret) => secret.Name);
    expect(names?.sort()).toEqual([`${prefix}-sessions/keyring`, `${prefix}-sessions/keys/${kid}`]);
    expect((await sessionKeyrings.load())?.keys).toMatchObject([{ kid, alg: "A256GCM" }]);

    const sessions = service(env, prefix);
    const legacy = legacyEnvelope(key, "cart=3", "sid-1");
    const opened = await sessions.open(legacy, { aad: "sid-1" });
    expect(opened).toMatchObject({ ok: true, kid, reseal: true });
    if (!opened.ok) return;
    const resealed = await sessions.seal(opened.plaintext, { aad: "sid-1" });
    expect(resealed.startsWith(`v1.${kid}.`)).toBe(true);
    expect(await sessions.open(resealed, { aad: "sid-1" })).toMatchObject({ reseal: false });
    await sessions.flush();
    const listed = await call("GET", "/v1/keyrings/sessions/keys");
    expect(listed.body.keys).toEqual([expect.objectContaining({ kid, share: 1 })]);
  });

  it("after an emergency's 2xx, three services whose caches still hold the leaked key refuse its sessions within 1 s; new sessions open", async () => {
    const { env, prefix } = await deployedEnvironment();
    const call = await opsApi(env);
    await call("POST", "/v1/keyrings/sessions/keys/import", {
      secret: randomBytes(32).toString("base64"),
      reason: "adopt keyward",
    });
    const services = [service(env, prefix), service(env, prefix), service(env, prefix)];
    const held = await Promise.all(
      services.map((s, i) => s.seal(`cart=${i}`, { aad: `sid-${i}` })),
    );
    for (const [i, s] of services.entries())
      expect(await s.open(held[i], { aad: `sid-${i}` })).toMatchObject({ ok: true });

    const emergency = await call("POST", "/v1/keyrings/sessions/keys/rotate", {
      mode: "immediate",
      reason: "SESSION_ENCRYPTION_KEY in a log",
    });
    expect(emergency.status).toBe(200);
    // At their very next open: each open reads the key rule.
    const refusals = await Promise.all(
      services.map((s, i) => s.open(held[i], { aad: `sid-${i}` })),
    );
    expect(refusals.map((r) => (r.ok ? "opened" : r.reason))).toEqual([
      "key_revoked",
      "key_revoked",
      "key_revoked",
    ]);
    // Tokens are not cut off by it: only the sessions keyring's keys were compromised.
    const check = await call("GET", "/v1/revocations/check?sub=alice");
    expect(check.body).toMatchObject({ revoked: false });

    // A fresh service (a new container) seals with the new key, and its sessions open everywhere.
    const fresh = service(env, prefix);
    const envelope = await fresh.seal("cart=9", { aad: "sid-9" });
    expect(envelope.split(".")[1]).toBe(emergency.body.kid);
    expect(await fresh.open(envelope, { aad: "sid-9" })).toMatchObject({ ok: true, reseal: false });
  });

  it("the rotation function ticks both keyrings: the sessions keyring rotates after its own 30 days", async () => {
    const { env, keyrings, sessionKeyrings, received } = await deployedEnvironment();
    await keyrings.save(
      createKeyring(await generateKey("HS256", Date.now(), cryptoRandom), Date.now()),
    );
    const old = Date.now() - 31 * DAY;
    await sessionKeyrings.save(createKeyring(await generateKey("A256GCM", old, cryptoRandom), old));
    const handler = await createRotationFromEnv(env, () => undefined);
    expect(await handler()).toMatchObject({
      signing: { status: "idle" },
      sessions: { status: "applied", actions: [{ type: "publish" }] },
    });
    const [event] = await received(1);
    expect(event).toMatchObject({ "detail-type": "KeyCreated", detail: { keyring: "sessions" } });
    expect((await sessionKeyrings.load())?.keys.map((k) => [k.alg, k.status])).toEqual([
      ["A256GCM", "current"],
      ["A256GCM", "pending"],
    ]);
    expect((await keyrings.load())?.keys).toHaveLength(1);
  });
});
