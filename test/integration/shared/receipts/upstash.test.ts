import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MINUTE } from "../../../../shared/kernel/clock.ts";
import { PACKAGE_VERSION } from "../../../../shared/kernel/version.ts";
import { UpstashReceipts } from "../../../../shared/receipts/upstash.ts";
import { RevocationMirror } from "../../../../shared/revocation/mirror.ts";
import { UpstashRevocationStore } from "../../../../shared/revocation/upstash.ts";
import { UpstashRevocationCheck } from "../../../../shared/revocation/upstash-check.ts";
import { UpstashRevocationLog } from "../../../../shared/revocation/upstash-log.ts";
import { UpstashUsageCounter } from "../../../../shared/usage/upstash-counter.ts";
import { authorizerWithKeyring } from "../../../support/authorizer.ts";
import { httpApiEvent } from "../../../support/authorizer-events.ts";
import { type CountingProxy, startProxy } from "../../../support/http-proxy.ts";
import { receiptOf, receiptsOnceWritten } from "../../../support/receipts.ts";
import { usageCounts } from "../../../support/usage.ts";

const timing = { maxTokenLifetimeSeconds: 3600, clockToleranceSeconds: 5 };
let proxy: CountingProxy;
beforeAll(async () => {
  proxy = await startProxy(inject("services").upstashUrl);
});
afterAll(() => proxy.stop());

const upstash = () => ({
  url: inject("services").upstashUrl,
  token: inject("services").upstashToken,
});

describe("receipts in Upstash", () => {
  it("ride in the usage flush's own request: three commands, no round trip of their own", async () => {
    const prefix = `r${randomUUID()}:`;
    const counter = new UpstashUsageCounter(
      { url: proxy.url, token: inject("services").upstashToken },
      prefix,
    );
    proxy.reset();
    await counter.add(usageCounts({ k1: 2 }), Date.now(), receiptOf("one", Date.now()));
    await counter.add(usageCounts({}), Date.now(), receiptOf("two", Date.now()));
    expect(proxy.requests()).toBe(2);
    const live = await new UpstashReceipts(upstash(), prefix).live();
    expect(live.map((r) => r.instance)).toEqual(["one", "two"]);
  });

  it("expire by Redis's clock once the window has passed: a frozen instance drops out by itself", async () => {
    const prefix = `r${randomUUID()}:`;
    const counter = new UpstashUsageCounter(upstash(), prefix, 300);
    const receipts = new UpstashReceipts(upstash(), prefix);
    await counter.add(usageCounts({}), Date.now(), receiptOf("frozen", Date.now()));
    expect((await receipts.live()).map((r) => r.instance)).toEqual(["frozen"]);
    // Redis expires the key; poll for it rather than guess how long that takes on a busy machine.
    let live = await receipts.live();
    for (let i = 0; i < 100 && live.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      live = await receipts.live();
    }
    expect(live).toEqual([]);
  });

  it("live as long as the verifier's KEYWARD_RECEIPT_WINDOW_SECONDS says", async () => {
    const services = inject("services");
    const { handler, token, clock, redisPrefix } = await authorizerWithKeyring(services, {
      KEYWARD_RECEIPT_WINDOW_SECONDS: "120",
    });
    clock.t += MINUTE;
    await handler(httpApiEvent({ authorization: `Bearer ${token}` }));
    const receipts = new UpstashReceipts(upstash(), redisPrefix);
    const live = await receiptsOnceWritten(receipts, 40);
    const answer = await fetch(services.upstashUrl, {
      method: "POST",
      headers: { authorization: `Bearer ${services.upstashToken}` },
      body: JSON.stringify(["PTTL", `${redisPrefix}receipt:i:${live[0]!.instance}`]),
    });
    const { result: ttl } = (await answer.json()) as { result: number };
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
  });

  it("carry an authorizer's keyring, its mirror's position and how late the revocations reached it", async () => {
    const services = inject("services");
    const { handler, keyring, token, clock, redisPrefix } = await authorizerWithKeyring(services);
    await new UpstashRevocationStore({ ...upstash(), prefix: redisPrefix, timing }).revoke(
      [{ kind: "subject", sub: "mallory" }],
      Date.now(),
    );
    clock.t += MINUTE;
    await handler(httpApiEvent({ authorization: `Bearer ${token}` }));
    const receipts = new UpstashReceipts(upstash(), redisPrefix);
    const live = await receiptsOnceWritten(receipts, 40);
    expect(live).toEqual([
      expect.objectContaining({
        kind: "authorizer",
        region: "us-east-1",
        version: PACKAGE_VERSION,
        keyring: "signing",
        revision: keyring.revision,
        keys: [{ kid: keyring.keys[0]!.kid, status: "current" }],
        position: expect.stringMatching(/^\d+-\d+$/),
        lag: expect.objectContaining({ applied: 1 }),
      }),
    ]);
  });

  it("measure a mirror's lag from the log's own time to the moment it applied each entry", async () => {
    const prefix = `r${randomUUID()}:`;
    const store = new UpstashRevocationStore({ ...upstash(), prefix, timing });
    let elapsed = 0;
    const mirror = new RevocationMirror({
      log: new UpstashRevocationLog(upstash(), prefix, 2_000),
      fallback: new UpstashRevocationCheck({ ...upstash(), prefix, timing, budgetMs: 2_000 }),
      clock: { now: () => Date.now(), elapsed: () => elapsed },
      freshnessMs: 500,
      budgetMs: 500,
    });
    await mirror.warmUp();
    expect(mirror.takeLag()).toBeUndefined();
    const before = Date.now();
    await store.revoke(
      [
        { kind: "subject", sub: "a" },
        { kind: "subject", sub: "b" },
      ],
      before,
    );
    elapsed += 500;
    expect(await mirror.check({ sub: "a", claims: {}, issuedAtMs: before - MINUTE })).toMatchObject(
      { revoked: true },
    );
    const lag = mirror.takeLag();
    expect(lag?.applied).toBe(2);
    // Written and applied on this machine a moment apart: well under the 1 s promise.
    expect(lag?.maxMs).toBeLessThan(Date.now() - before + 50);
    expect(mirror.position).toMatch(/^\d+-\d+$/);
  });
});
