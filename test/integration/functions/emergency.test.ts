import { randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { createAuthorizerFromEnv } from "../../../functions/authorizer/wiring.ts";
import { createOpsApp } from "../../../functions/ops-api/app.ts";
import { sha256 } from "../../../shared/access/operators.ts";
import { UpstashAuditJournal } from "../../../shared/audit/upstash.ts";
import { cryptoRandom } from "../../../shared/kernel/random.ts";
import { resolvePolicy } from "../../../shared/keyring/policy.ts";
import { SecretsManagerKeyringStore } from "../../../shared/keyring-store/secrets-manager.ts";
import { UpstashRevocationStore } from "../../../shared/revocation/upstash.ts";
import { createSigner } from "../../../shared/tokens/signer.ts";
import { httpApiEvent } from "../../support/authorizer-events.ts";
import { motoEnvironment, secretsManagerClient } from "../../support/aws.ts";
import { movableClock } from "../../support/clocks.ts";
import { busWithQueue } from "../../support/eventbridge.ts";
import { newKeyring } from "../../support/keyrings.ts";

describe("an emergency rotation from the ops API, end to end (moto, local Upstash, EventBridge)", () => {
  it("makes a new key current, compromises the old, sets the cut-off and announces it, in under 60 s", async () => {
    const services = inject("services");
    const prefix = `keyward/${randomUUID()}`;
    const redisPrefix = `e${randomUUID()}:`;
    const upstash = { url: services.upstashUrl, token: services.upstashToken };
    const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
    const keyrings = new SecretsManagerKeyringStore({
      client: secretsManagerClient(services.motoUrl),
      prefix,
      deletesMaterial: false,
    });
    const start = await newKeyring("HS256", Date.now());
    await keyrings.save(start);
    const { publisher, received } = await busWithQueue(services.motoUrl);
    const credential = "incident-commander-credential-0123456789";
    const app = createOpsApp(
      {
        keyringName: "signing",
        keyrings,
        revocations: new UpstashRevocationStore({
          ...upstash,
          timing,
          prefix: redisPrefix,
          budgetMs: 2_000,
        }),
        audit: new UpstashAuditJournal(upstash, 1000, redisPrefix),
        events: publisher,
        clock: { now: () => Date.now() },
        random: cryptoRandom,
        policy: resolvePolicy(),
        timing,
      },
      { operators: [{ name: "ic", role: "admin", tokenSha256: sha256(credential) }] },
    );
    // The authorizer's time is the test's: its mirror's bound passes when the test says so.
    const clock = movableClock();
    const authorizer = await createAuthorizerFromEnv(
      {
        KEYWARD_SECRET_PREFIX: prefix,
        KEYWARD_REDIS_PREFIX: redisPrefix,
        UPSTASH_REDIS_REST_URL: upstash.url,
        UPSTASH_REDIS_REST_TOKEN: upstash.token,
        KEYWARD_REVOCATION_FRESHNESS_MS: "500",
        KEYWARD_REVOCATION_BUDGET_MS: "500",
        ...motoEnvironment(services.motoUrl),
      },
      { write: () => undefined, clock },
    );
    const leakedEra = await createSigner().sign(start, { sub: "victim" }, Date.now());
    expect(await authorizer(httpApiEvent({ authorization: `Bearer ${leakedEra}` }))).toMatchObject({
      isAuthorized: true,
    });

    const started = performance.now();
    const answer = await app.request("/v1/keys/rotate", {
      method: "POST",
      headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" },
      body: JSON.stringify({
        mode: "immediate",
        reason: "signing key found in a public repository",
      }),
    });
    const elapsedMs = performance.now() - started;
    expect(answer.status).toBe(200);
    expect(elapsedMs).toBeLessThan(60_000);

    const stored = (await keyrings.load())!;
    expect(stored.keys.map((k) => [k.status, k.compromised])).toEqual([
      ["retired", true],
      ["current", false],
    ]);
    // Once the authorizer's mirror is past its freshness bound (500 ms here), whatever it cached.
    const ask = () => authorizer(httpApiEvent({ authorization: `Bearer ${leakedEra}` }));
    clock.advance(500);
    expect(await ask()).toEqual({ isAuthorized: false });
    const events = await received(1);
    expect(events[0]).toMatchObject({
      "detail-type": "EmergencyRotation",
      detail: { kid: stored.keys[1]!.kid, compromised: [start.keys[0]!.kid] },
    });
    // Everyone logs in again at once with the new key, which this authorizer's cached keyring
    // does not hold yet: they all wait for its one reload, and none is refused.
    const logins = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        createSigner().sign(stored, { sub: `user-${i}` }, Date.now()),
      ),
    );
    const answers = await Promise.all(
      logins.map((token) => authorizer(httpApiEvent({ authorization: `Bearer ${token}` }))),
    );
    expect(answers.filter((a) => !(a as { isAuthorized: boolean }).isAuthorized)).toEqual([]);
  });
});
