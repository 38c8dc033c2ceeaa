import { describe, expect, inject, it } from "vitest";
import { createAuthorizerFromEnv } from "../../../functions/authorizer/wiring.ts";
import { createOpsAppFromEnv } from "../../../functions/ops-api/wiring.ts";
import { createRotationFromEnv } from "../../../functions/rotation/wiring.ts";
import { sha256, toHex } from "../../../shared/access/operators.ts";
import { DAY, MINUTE } from "../../../shared/kernel/clock.ts";
import type { Keyring } from "../../../shared/keyring/keyring.ts";
import { UpstashReceipts } from "../../../shared/receipts/upstash.ts";
import { createSigner } from "../../../shared/tokens/signer.ts";
import { httpApiEvent } from "../../support/authorizer-events.ts";
import { motoEnvironment } from "../../support/aws.ts";
import { movableClock } from "../../support/clocks.ts";
import { deployedEnvironment } from "../../support/deployed.ts";
import { seededRandom } from "../../support/deterministic.ts";
import { startProxy } from "../../support/http-proxy.ts";
import { newKeyring, withPending } from "../../support/keyrings.ts";

describe("a pending key waits for every live authorizer to hold it (moto, Upstash)", () => {
  it("holds the activation while one authorizer cannot reload its keyring; forced, the laggard's refusals are counted; once it catches up it verifies the new key's tokens", async () => {
    const services = inject("services");
    const { env, keyrings } = await deployedEnvironment();
    const now = Date.now();
    const first = await newKeyring("HS256", now - DAY);
    await keyrings.save(first);
    // The second container reaches Secrets Manager through a proxy that fails on demand (a fault
    // moto cannot produce: an outage of its own).
    const secretsProxy = await startProxy(services.motoUrl);
    const container = async (awsEndpoint: string) => {
      const clock = movableClock();
      const lines: string[] = [];
      const handler = await createAuthorizerFromEnv(
        {
          ...motoEnvironment(awsEndpoint),
          KEYWARD_SECRET_PREFIX: env.KEYWARD_SECRET_PREFIX,
          KEYWARD_REDIS_PREFIX: env.KEYWARD_REDIS_PREFIX,
          UPSTASH_REDIS_REST_URL: services.upstashUrl,
          UPSTASH_REDIS_REST_TOKEN: services.upstashToken,
        },
        { clock, write: (line) => lines.push(line) },
      );
      return { clock, handler, lines };
    };
    const healthy = await container(services.motoUrl);
    const lagging = await container(secretsProxy.url);
    secretsProxy.setFault({ kind: "error", status: 503 });

    // The next key, published three minutes ago: its pre-publication period is over.
    const published = await withPending(first, "HS256", now - 3 * MINUTE, seededRandom("lag"));
    await keyrings.save(published);
    const pending = published.keys[1]!.kid;
    const signer = createSigner();
    const verifies = async (keyring: Keyring, c: typeof healthy) =>
      c.handler(
        httpApiEvent({
          authorization: `Bearer ${await signer.sign(keyring, { sub: "alice" }, c.clock.now())}`,
        }),
      );
    const receipts = new UpstashReceipts(
      { url: services.upstashUrl, token: services.upstashToken },
      env.KEYWARD_REDIS_PREFIX,
    );
    const receiptsSay = async (held: number) => {
      for (let i = 0; i < 100; i++) {
        const live = await receipts.live();
        const holding = live.filter((r) => r.keys.some((k) => k.kid === pending)).length;
        if (live.length === 2 && holding === held) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`the receipts never said ${held} of 2 hold ${pending}`);
    };

    // A minute on, both serve a request: the healthy one reloads (and reports at once), the
    // lagging one keeps its keyring and reports it with its minute's counts.
    for (const c of [healthy, lagging]) {
      c.clock.advance(61_000);
      expect(await verifies(first, c)).toMatchObject({ isAuthorized: true });
    }
    await verifies(first, healthy);
    await receiptsSay(1);
    const tick = await createRotationFromEnv(env, () => undefined);
    expect(await tick()).toMatchObject({
      signing: { status: "idle", propagation: { kid: pending, live: 2, held: 1 } },
    });
    expect((await keyrings.load())!.keys.map((k) => k.status)).toEqual(["current", "pending"]);

    // An operator goes ahead without it: the new key signs; the lagging container, which cannot
    // reload, refuses its tokens (unknown_kid), and its metrics count each refusal.
    const credential = "an-operator-credential-0123456789abcdef";
    const ops = await createOpsAppFromEnv(
      {
        ...env,
        KEYWARD_OPERATORS: JSON.stringify([
          { name: "alice", role: "admin", tokenSha256: toHex(sha256(credential)) },
        ]),
      },
      () => undefined,
    );
    const forced = await ops.request(`/v1/keys/${pending}/activate`, {
      method: "POST",
      headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" },
      body: JSON.stringify({ force: true, reason: "the lagging region is being drained" }),
    });
    expect(forced.status).toBe(200);
    expect(await forced.json()).toMatchObject({
      kid: pending,
      step: "activate",
      laggards: [expect.stringMatching(/^authorizer us-east-1 \S+ \(revision 1, /)],
    });
    const activated = (await keyrings.load())!;
    expect(await verifies(activated, healthy)).toMatchObject({ isAuthorized: true });
    lagging.lines.length = 0;
    for (let i = 0; i < 3; i++) {
      lagging.clock.advance(11_000);
      expect(await verifies(activated, lagging)).toEqual({ isAuthorized: false });
    }
    lagging.clock.advance(2_000);
    await verifies(first, lagging);
    const refusals = lagging.lines
      .map((line) => JSON.parse(line))
      .filter((l) => l.Reason === "unknown_kid")
      .reduce((n, l) => n + l.Requests, 0);
    expect(refusals).toBe(3);

    // Secrets Manager answers again: the lagging container reloads at its next request.
    secretsProxy.setFault({ kind: "none" });
    lagging.clock.advance(61_000);
    await verifies(first, lagging);
    await verifies(first, lagging);
    await receiptsSay(2);

    // Both containers verify the new key's tokens, and the old key's still.
    for (const c of [healthy, lagging]) {
      expect(await verifies(activated, c)).toMatchObject({ isAuthorized: true });
      expect(await verifies(first, c)).toMatchObject({ isAuthorized: true });
    }
    await secretsProxy.stop();
  });
});
