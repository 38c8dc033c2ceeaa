import { randomUUID } from "node:crypto";
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAuthorizerFromEnv } from "../../../functions/authorizer/wiring.ts";
import { SECOND } from "../../../shared/kernel/clock.ts";
import { cryptoRandom } from "../../../shared/kernel/random.ts";
import { generateKey } from "../../../shared/keyring/generate.ts";
import type { Keyring } from "../../../shared/keyring/keyring.ts";
import { activateKey, emergencyRotate, publishKey } from "../../../shared/keyring/transitions.ts";
import { SecretsManagerKeyringStore } from "../../../shared/keyring-store/secrets-manager.ts";
import type { RevocationTarget } from "../../../shared/revocation/rules.ts";
import { UpstashRevocationStore } from "../../../shared/revocation/upstash.ts";
import { createSigner } from "../../../shared/tokens/signer.ts";
import { httpApiEvent, restTokenEvent } from "../../support/authorizer-events.ts";
import { motoEnvironment, secretsManagerClient } from "../../support/aws.ts";
import { type CountingProxy, startProxy } from "../../support/http-proxy.ts";
import { expectOk, newKeyring } from "../../support/keyrings.ts";
import { startUpstashRest } from "../../support/services.ts";

const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
/** Generous for a busy test machine, within the 1 s promise with the freshness bound. */
const FRESHNESS_MS = 500;
const BUDGET_MS = 500;
let moto: CountingProxy;

beforeAll(async () => {
  moto = await startProxy(inject("services").motoUrl);
});
afterAll(() => moto.stop());

/** A keyring in moto, revocations in the local Upstash server, and the authorizer built from its environment. */
async function deploy(
  options: { failureMode?: "open" | "closed"; upstash?: { url: string; token: string } } = {},
) {
  const services = inject("services");
  const prefix = `keyward/${randomUUID()}`;
  const redisPrefix = `a${randomUUID()}:`;
  const upstash = options.upstash ?? { url: services.upstashUrl, token: services.upstashToken };
  // Real time, which a test can move ahead (`clock.t += …`) without waiting.
  const base = performance.now();
  const clock = { t: Date.now(), now: () => clock.t + Math.floor(performance.now() - base) };
  const store = new SecretsManagerKeyringStore({
    client: secretsManagerClient(services.motoUrl),
    prefix,
  });
  let keyring: Keyring = await newKeyring("ES256", clock.t);
  await store.save(keyring);
  const lines: string[] = [];
  const handler = await createAuthorizerFromEnv(
    {
      KEYWARD_SECRET_PREFIX: prefix,
      KEYWARD_REDIS_PREFIX: redisPrefix,
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: upstash.token,
      KEYWARD_REVOCATION_FRESHNESS_MS: String(FRESHNESS_MS),
      KEYWARD_REVOCATION_BUDGET_MS: String(BUDGET_MS),
      ...(options.failureMode === undefined
        ? {}
        : { KEYWARD_REVOCATION_FAILURE_MODE: options.failureMode }),
      ...motoEnvironment(moto.url),
    },
    { clock, write: (line) => lines.push(line) },
  );
  const revocations = new UpstashRevocationStore({ ...upstash, timing, prefix: redisPrefix });
  const signer = createSigner();
  return {
    clock,
    handler,
    lines,
    revocations,
    keyring: () => keyring,
    async commit(next: Keyring) {
      await store.save(next);
      keyring = next;
    },
    token: (sub = "alice", claims: Record<string, unknown> = {}) =>
      signer.sign(keyring, { sub, claims }, clock.t),
    ask: async (token: string) =>
      (await handler(httpApiEvent({ authorization: `Bearer ${token}` }))) as {
        isAuthorized: boolean;
      },
  };
}

const metrics = (lines: string[]) => lines.map((l) => JSON.parse(l)).filter((l) => l._aws);
/** The log lines: one per refusal or degraded allow (the metric lines are aggregated, a second's worth). */
const logs = (lines: string[]) => lines.map((l) => JSON.parse(l)).filter((l) => !l._aws);
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());

describe("the authorizer against Secrets Manager (moto) and Upstash (local REST server)", () => {
  it("allows a valid token, in REST and HTTP API shapes", async () => {
    const app = await deploy();
    const token = await app.token();
    expect(await app.ask(token)).toMatchObject({
      isAuthorized: true,
      context: { sub: "alice", keyStatus: "current" },
    });
    expect(await app.handler(restTokenEvent(`Bearer ${token}`))).toMatchObject({
      principalId: "alice",
    });
  });

  it("enforces a revocation by token, subject, claim or all once its mirror's freshness bound has passed (its clock moved by the test)", async () => {
    for (const kind of ["token", "subject", "claim", "all"] as const) {
      const app = await deploy();
      const token = await app.token("alice", { role: "admin" });
      expect((await app.ask(token)).isAuthorized).toBe(true);
      const claims = claimsOf(token);
      const target: RevocationTarget =
        kind === "token"
          ? { kind, jti: claims.jti, exp: claims.exp }
          : kind === "subject"
            ? { kind, sub: "alice" }
            : kind === "claim"
              ? { kind, name: "role", value: "admin" }
              : { kind };
      await app.revocations.revoke([target], Date.now());
      app.clock.t += FRESHNESS_MS;
      expect((await app.ask(token)).isAuthorized, `revocation by ${kind}`).toBe(false);
      expect(logs(app.lines).at(-1)).toMatchObject({ outcome: "deny", reason: "revoked" });
    }
  });

  it("keeps allowing the previous key's tokens after a graceful rotation", async () => {
    const app = await deploy();
    const before = await app.token();
    const published = expectOk(
      publishKey(app.keyring(), await generateKey("ES256", app.clock.t, cryptoRandom), app.clock.t),
    );
    await app.commit(published);
    app.clock.t += 2 * 60 * SECOND;
    await app.commit(expectOk(activateKey(published, published.keys[1]!.kid, app.clock.t)));
    app.clock.t += 61 * SECOND;
    const after = await app.token();
    // Past the TTL the cached keyring answers while the reload runs in the background.
    const deadline = performance.now() + 20_000;
    let answer = await app.ask(before);
    while (
      (answer as { context?: { keyStatus?: string } }).context?.keyStatus !== "previous" &&
      performance.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      answer = await app.ask(before);
    }
    expect(answer).toMatchObject({
      isAuthorized: true,
      context: { keyStatus: "previous" },
    });
    expect(await app.ask(after)).toMatchObject({
      isAuthorized: true,
      context: { keyStatus: "current" },
    });
  });

  it("refuses earlier tokens at once after an emergency rotation, whatever its cached keyring says", async () => {
    const app = await deploy();
    const before = await app.token();
    expect((await app.ask(before)).isAuthorized).toBe(true);
    app.clock.t += SECOND;
    await app.commit(
      expectOk(
        emergencyRotate(
          app.keyring(),
          await generateKey("ES256", app.clock.t, cryptoRandom),
          app.clock.t,
        ),
      ),
    );
    await app.revocations.revoke([{ kind: "all" }], app.clock.t);
    expect(await app.ask(before)).toEqual({ isAuthorized: false });
    expect(metrics(app.lines).at(-1)).toMatchObject({ Reason: "revoked" });
    app.clock.t += 2 * SECOND;
    expect((await app.ask(await app.token())).isAuthorized).toBe(true);
  });

  it("fails closed within budget when the revocation store is down, or open with a metric", async () => {
    const doomed = await startUpstashRest(inject("services").redisUrl);
    const closed = await deploy({ upstash: doomed });
    const open = await deploy({ upstash: doomed, failureMode: "open" });
    const [closedToken, openToken] = [await closed.token(), await open.token()];
    await doomed.process.stop();
    // Past the mirror's freshness bound: it may no longer decide alone, and cannot refresh.
    closed.clock.t += FRESHNESS_MS;
    open.clock.t += FRESHNESS_MS;
    const started = performance.now();
    expect(await closed.ask(closedToken)).toEqual({ isAuthorized: false });
    // Within its budget, never a hang: far below the seconds a hang would take on any machine.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(metrics(closed.lines).at(-1)).toMatchObject({
      Reason: "store_unavailable",
      RevocationStoreUnavailable: 1,
    });
    expect((await open.ask(openToken)).isAuthorized).toBe(true);
    expect(metrics(open.lines).at(-1)).toMatchObject({
      Outcome: "allow",
      Reason: "allowed_unchecked",
      RevocationStoreUnavailable: 1,
    });
  });

  it("does not multiply Secrets Manager calls under a flood of unknown kids (counted at moto)", async () => {
    const app = await deploy();
    const { privateKey } = await generateKeyPair("ES256");
    const now = Math.floor(app.clock.t / 1000);
    const forged = await Promise.all(
      Array.from({ length: 200 }, () =>
        new SignJWT({ sub: "mallory", jti: randomUUID(), iat: now, exp: now + 60 })
          .setProtectedHeader({ alg: "ES256", kid: randomUUID().replaceAll("-", "") })
          .sign(privateKey),
      ),
    );
    moto.reset();
    const answers = await Promise.all(forged.map((token) => app.ask(token)));
    expect(answers.every((a) => !a.isAuthorized)).toBe(true);
    expect(moto.operations()["secretsmanager.BatchGetSecretValue"] ?? 0).toBe(1);
    app.clock.t += 10 * SECOND;
    await Promise.all(forged.slice(0, 50).map((token) => app.ask(token)));
    expect(moto.operations()["secretsmanager.BatchGetSecretValue"]).toBe(2);
  });

  it("adds nothing over its budget while Secrets Manager hangs, a cached keyring answering (fault injected at a proxy)", async () => {
    const app = await deploy();
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => app.token(`user-${i}`)));
    expect((await app.ask(tokens[0]!)).isAuthorized).toBe(true);
    // Secrets Manager answers nothing for a minute; the keyring's TTL (60 s) has passed.
    moto.setFault({ kind: "delay", ms: 60_000 });
    try {
      app.clock.t += 61 * SECOND;
      const slowest = { ms: 0 };
      let allowed = 0;
      for (let i = 0; i < 400; i++) {
        const started = performance.now();
        if ((await app.ask(tokens[i % tokens.length]!)).isAuthorized) allowed++;
        slowest.ms = Math.max(slowest.ms, performance.now() - started);
      }
      expect(allowed).toBe(400);
      // None waited for the reload (its reader gives up after 3 s): each answered from the cache.
      expect(slowest.ms).toBeLessThan(2_500);
      expect(moto.operations()["secretsmanager.BatchGetSecretValue"]).toBeGreaterThanOrEqual(2);
    } finally {
      moto.setFault({ kind: "none" });
    }
  });
});
