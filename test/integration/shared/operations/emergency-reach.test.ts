import { randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { createAuthorizerFromEnv } from "../../../../functions/authorizer/wiring.ts";
import { MemoryAuditJournal } from "../../../../shared/audit/memory.ts";
import { MemoryEventPublisher } from "../../../../shared/events/events.ts";
import { systemClock } from "../../../../shared/kernel/clock.ts";
import { cryptoRandom } from "../../../../shared/kernel/random.ts";
import { resolvePolicy } from "../../../../shared/keyring/policy.ts";
import { SecretsManagerKeyringStore } from "../../../../shared/keyring-store/secrets-manager.ts";
import { emergency } from "../../../../shared/operations/emergency.ts";
import { UpstashReceipts } from "../../../../shared/receipts/upstash.ts";
import { UpstashRevocationStore } from "../../../../shared/revocation/upstash.ts";
import { createSigner } from "../../../../shared/tokens/signer.ts";
import { httpApiEvent } from "../../../support/authorizer-events.ts";
import { motoEnvironment, secretsManagerClient } from "../../../support/aws.ts";
import { movableClock } from "../../../support/clocks.ts";
import { startProxy } from "../../../support/http-proxy.ts";
import { newKeyring } from "../../../support/keyrings.ts";

const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };

describe("an emergency's reach, measured from the verifiers' receipts (moto, Upstash)", () => {
  it("reports the authorizer that applied the key rules and names the one cut off from Upstash", async () => {
    const services = inject("services");
    const upstash = { url: services.upstashUrl, token: services.upstashToken };
    const secretPrefix = `keyward/${randomUUID()}`;
    const redisPrefix = `e${randomUUID()}:`;
    const keyrings = new SecretsManagerKeyringStore({
      client: secretsManagerClient(services.motoUrl),
      prefix: secretPrefix,
      deletesMaterial: false,
    });
    const keyring = await newKeyring("HS256", Date.now());
    await keyrings.save(keyring);
    const token = await createSigner().sign(keyring, { sub: "alice" }, Date.now());
    const request = httpApiEvent({ authorization: `Bearer ${token}` });

    // Two authorizer containers of one deployment; the second reaches Upstash through a proxy
    // the test stops: its Upstash is gone, its receipt stays live.
    const proxy = await startProxy(upstash.url);
    const container = async (upstashUrl: string) => {
      const clock = movableClock();
      const handler = await createAuthorizerFromEnv(
        {
          ...motoEnvironment(services.motoUrl),
          KEYWARD_SECRET_PREFIX: secretPrefix,
          KEYWARD_REDIS_PREFIX: redisPrefix,
          UPSTASH_REDIS_REST_URL: upstashUrl,
          UPSTASH_REDIS_REST_TOKEN: upstash.token,
        },
        { clock, write: () => undefined },
      );
      return { clock, handler };
    };
    const healthy = await container(upstash.url);
    const cutOff = await container(proxy.url);
    const receipts = new UpstashReceipts(upstash, redisPrefix);
    // A minute on, each serves a request: its usage flush writes its first receipt.
    for (const c of [healthy, cutOff]) {
      c.clock.advance(61_000);
      await c.handler(request);
    }
    for (let i = 0; i < 100 && (await receipts.live()).length < 2; i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await receipts.live()).length).toBe(2);
    await proxy.stop();

    // Traffic on the healthy container while the emergency waits for the receipts. Its clock
    // moves 10 s a request, so its usage flush (once a minute on its clock) writes a receipt
    // every few requests: with 1 s a request, the next receipt could come 6 s of real time later
    // on a busy machine, past the emergency's 5 s wait.
    let pumping = true;
    const pump = (async () => {
      while (pumping) {
        healthy.clock.advance(10_000);
        await healthy.handler(request).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const audit = new MemoryAuditJournal();
    const done = await emergency(
      {
        keyringName: "signing",
        keyrings,
        revocations: new UpstashRevocationStore({
          ...upstash,
          prefix: redisPrefix,
          timing,
          budgetMs: 2_000,
        }),
        audit,
        events: new MemoryEventPublisher(),
        clock: systemClock,
        random: cryptoRandom,
        policy: resolvePolicy(),
        timing,
        receipts,
      },
      { actor: "ic", reason: "JWT_SECRET in a public repo" },
    );
    pumping = false;
    await pump;

    expect(done.ok).toBe(true);
    const reach = done.ok ? done.value.enforcement : undefined;
    expect(reach).toMatch(
      /^enforced by 1 of 2 live verifiers within \d+ ms; not within 5 s: authorizer \S+ \S+ \(revision 1, last seen [^)]+\)$/,
    );
    expect((await audit.read()).entries[0]?.details?.enforcement).toBe(reach);
    // The healthy container refuses the leaked key's token; the cut-off one refuses too (its
    // failure mode is closed), though it could not say so.
    expect(await healthy.handler(request)).toEqual({ isAuthorized: false });
  });
});
