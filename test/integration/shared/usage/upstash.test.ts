import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAuthorizerFromEnv } from "../../../../functions/authorizer/wiring.ts";
import { HOUR, MINUTE } from "../../../../shared/kernel/clock.ts";
import { SecretsManagerKeyringStore } from "../../../../shared/keyring-store/secrets-manager.ts";
import { createSigner } from "../../../../shared/tokens/signer.ts";
import { UpstashUsageStore } from "../../../../shared/usage/upstash.ts";
import { httpApiEvent } from "../../../support/authorizer-events.ts";
import { motoEnvironment, secretsManagerClient } from "../../../support/aws.ts";
import { type CountingProxy, startProxy } from "../../../support/http-proxy.ts";
import { newKeyring } from "../../../support/keyrings.ts";
import { usageCounts } from "../../../support/usage.ts";

let proxy: CountingProxy;
beforeAll(async () => {
  proxy = await startProxy(inject("services").upstashUrl);
});
afterAll(() => proxy.stop());

describe("usage figures in Upstash", () => {
  it("adds counts in one request and reads the last day, or the refusals, in one request", async () => {
    const store = new UpstashUsageStore(
      { url: proxy.url, token: inject("services").upstashToken },
      `u${randomUUID()}:`,
    );
    const now = Date.now();
    proxy.reset();
    await store.add(usageCounts({ a: 3, b: 1 }, { old: 4 }), now - 5 * HOUR);
    await store.add(usageCounts({ a: 2 }, { old: 1 }), now);
    expect(proxy.requests()).toBe(2);
    proxy.reset();
    expect(await store.verificationsByKid(now)).toEqual({ a: 5, b: 1 });
    expect(proxy.requests()).toBe(1);
    expect(await store.refusalsByKid()).toEqual({ old: 5 });
    expect(proxy.requests()).toBe(2);
    expect(await store.verificationsByKid(now + 20 * HOUR)).toEqual({ a: 2 });
  });

  it("receives the authorizer's counts per kid, written off the request path once a minute", async () => {
    const services = inject("services");
    const prefix = `keyward/${randomUUID()}`;
    const redisPrefix = `u${randomUUID()}:`;
    const clock = { t: Date.now(), now: () => clock.t };
    const keyring = await newKeyring("HS256", clock.t);
    await new SecretsManagerKeyringStore({
      client: secretsManagerClient(services.motoUrl),
      prefix,
    }).save(keyring);
    const handler = await createAuthorizerFromEnv(
      {
        KEYWARD_SECRET_PREFIX: prefix,
        KEYWARD_REDIS_PREFIX: redisPrefix,
        UPSTASH_REDIS_REST_URL: services.upstashUrl,
        UPSTASH_REDIS_REST_TOKEN: services.upstashToken,
        ...motoEnvironment(services.motoUrl),
      },
      { clock, write: () => undefined },
    );
    const token = await createSigner().sign(keyring, { sub: "alice" }, clock.t);
    for (let i = 0; i < 5; i++) await handler(httpApiEvent({ authorization: `Bearer ${token}` }));
    const store = new UpstashUsageStore(
      { url: services.upstashUrl, token: services.upstashToken },
      redisPrefix,
    );
    expect(await store.verificationsByKid(clock.t)).toEqual({});
    clock.t += MINUTE;
    await handler(httpApiEvent({ authorization: `Bearer ${token}` }));
    let figures = await store.verificationsByKid(clock.t);
    for (let i = 0; i < 20 && Object.keys(figures ?? {}).length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      figures = await store.verificationsByKid(clock.t);
    }
    expect(figures).toEqual({ [keyring.keys[0]!.kid]: 6 });
  });
});
