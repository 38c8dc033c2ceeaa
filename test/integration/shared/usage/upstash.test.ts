import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { HOUR, MINUTE } from "../../../../shared/kernel/clock.ts";
import { UpstashUsageStore } from "../../../../shared/usage/upstash.ts";
import { authorizerWithKeyring } from "../../../support/authorizer.ts";
import { httpApiEvent } from "../../../support/authorizer-events.ts";
import { type CountingProxy, startProxy } from "../../../support/http-proxy.ts";
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

  it("adds each key's verifications by verifier kind and consumer, and reads a key's last day in one request", async () => {
    const store = new UpstashUsageStore(
      { url: proxy.url, token: inject("services").upstashToken },
      `u${randomUUID()}:`,
    );
    const now = Date.now();
    const byConsumer = (kid: string, counts: Record<string, number>) =>
      new Map([[kid, new Map(Object.entries(counts))]]);
    await store.add(
      {
        ...usageCounts({ a: 4 }),
        consumers: byConsumer("a", { checkout: 3, mobile: 1 }),
        kind: "edge",
      },
      now - 2 * HOUR,
    );
    await store.add(
      {
        ...usageCounts({ a: 2, b: 1 }),
        consumers: new Map([
          ...byConsumer("a", { checkout: 2 }),
          ...byConsumer("b", { checkout: 1 }),
        ]),
        kind: "authorizer",
      },
      now,
    );
    proxy.reset();
    expect(await store.consumersOf("a", now)).toEqual([
      { consumer: "checkout", verifier: "edge", verifications: 3 },
      { consumer: "checkout", verifier: "authorizer", verifications: 2 },
      { consumer: "mobile", verifier: "edge", verifications: 1 },
    ]);
    expect(proxy.requests()).toBe(1);
    expect(await store.consumersOf("a", now + 23 * HOUR)).toEqual([
      { consumer: "checkout", verifier: "authorizer", verifications: 2 },
    ]);
  });

  it("receives the authorizer's counts per kid, written off the request path once a minute", async () => {
    const services = inject("services");
    const { handler, keyring, token, clock, redisPrefix } = await authorizerWithKeyring(services);
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
    // Its token names no party: counted as (unnamed), through the authorizer.
    expect(await store.consumersOf(keyring.keys[0]!.kid, clock.t)).toEqual([
      { consumer: "(unnamed)", verifier: "authorizer", verifications: 6 },
    ]);
  });
});
