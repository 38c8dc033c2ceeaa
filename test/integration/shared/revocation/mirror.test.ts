import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MINUTE } from "../../../../shared/clock.ts";
import { StoreUnavailable } from "../../../../shared/errors.ts";
import { changeLogKey } from "../../../../shared/revocation/change-log.ts";
import { RevocationMirror } from "../../../../shared/revocation/mirror.ts";
import { UpstashRevocationStore } from "../../../../shared/revocation/upstash.ts";
import { UpstashRevocationCheck } from "../../../../shared/revocation/upstash-check.ts";
import { UpstashRevocationLog } from "../../../../shared/revocation/upstash-log.ts";
import { UpstashRest } from "../../../../shared/upstash/rest.ts";
import { type CountingProxy, startProxy } from "../../../support/http-proxy.ts";

const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
let proxy: CountingProxy;

beforeAll(async () => {
  proxy = await startProxy(inject("services").upstashUrl);
});
afterAll(() => proxy.stop());

/** A writer, and verifiers' mirrors (through `url`) on a fresh prefix, with a clock a test can move ahead. */
function deployment(url = inject("services").upstashUrl) {
  const { upstashUrl, upstashToken } = inject("services");
  const prefix = `m${randomUUID()}:`;
  const writer = new UpstashRevocationStore({
    url: upstashUrl,
    token: upstashToken,
    timing,
    prefix,
    budgetMs: 2_000,
  });
  const verifier = (budgetMs = 200) => {
    const base = performance.now();
    const clock = { t: Date.now(), now: () => clock.t + Math.floor(performance.now() - base) };
    const settings = { url, token: upstashToken };
    const mirror = new RevocationMirror({
      log: new UpstashRevocationLog(settings, prefix, budgetMs),
      fallback: new UpstashRevocationCheck({ ...settings, timing, prefix, budgetMs }),
      clock,
      budgetMs,
    });
    return { mirror, clock };
  };
  return { writer, verifier, prefix };
}

const facts = (sub: string) => ({ sub, claims: {}, issuedAtMs: Date.now() - 1000 });

describe("the revocation mirror on Upstash (local REST server)", () => {
  it("three verifiers enforce a revocation within 1 s of its write, each with one round trip a second at most", async () => {
    const { writer, verifier } = deployment(proxy.url);
    const verifiers = [verifier(), verifier(), verifier()];
    await Promise.all(verifiers.map(({ mirror }) => mirror.warmUp()));
    proxy.reset();
    for (const { mirror } of verifiers)
      expect(await mirror.check(facts("alice"))).toEqual({ revoked: false });
    expect(proxy.requests()).toBe(0);

    await writer.revoke([{ kind: "subject", sub: "alice" }], Date.now());
    const answeredAt = performance.now();
    const refusedAfter: number[] = [];
    for (const { mirror } of verifiers) {
      let status = await mirror.check(facts("alice"));
      while (!status.revoked && performance.now() - answeredAt < 1_000) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        status = await mirror.check(facts("alice"));
      }
      expect(status).toMatchObject({ revoked: true, rule: "subject" });
      refusedAfter.push(performance.now() - answeredAt);
    }
    expect(Math.max(...refusedAfter)).toBeLessThan(1_000);
    // Polling every 10 ms for up to a second: at most one log read per verifier per second.
    expect(proxy.requests()).toBeLessThanOrEqual(6);
  });

  it("a verifier that lags behind the log's trim reloads a snapshot and misses nothing", async () => {
    const { writer, verifier, prefix } = deployment();
    const lagging = verifier();
    await lagging.mirror.warmUp();
    await writer.revoke([{ kind: "subject", sub: "alice" }], Date.now());
    await writer.revoke([{ kind: "subject", sub: "bob" }], Date.now());
    // Eleven minutes on, the writers' next append trims every entry older than ten: alice's.
    const { upstashUrl, upstashToken } = inject("services");
    const rest = new UpstashRest({ url: upstashUrl, token: upstashToken }, 1_000);
    const entries = await rest.command<[string, string[]][]>([
      "XRANGE",
      changeLogKey(prefix),
      "-",
      "+",
    ]);
    await rest.command(["XTRIM", changeLogKey(prefix), "MINID", entries[1]?.[0] ?? "0"]);
    const log = new UpstashRevocationLog({ url: upstashUrl, token: upstashToken }, prefix, 1_000);
    expect((await log.since("0-0")).entries.map((e) => e.key)).toEqual([`${prefix}rv:s:bob`]);

    lagging.clock.t += 11 * MINUTE;
    expect(await lagging.mirror.check(facts("alice"))).toMatchObject({ revoked: true });
    // The snapshot loaded in the background: both rules, decided from memory.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await lagging.mirror.check(facts("alice"))).toMatchObject({ revoked: true });
    expect(await lagging.mirror.check(facts("bob"))).toMatchObject({ revoked: true });
    expect(lagging.mirror.stats()).toMatchObject({ snapshots: 2, rules: 2 });
  });

  it("Upstash gone in the middle of a delta read: StoreUnavailable within the budget, then the next read picks up every rule written meanwhile", async () => {
    const outage = await startProxy(inject("services").upstashUrl);
    const port = Number(new URL(outage.url).port);
    const { writer, verifier } = deployment(outage.url);
    const { mirror, clock } = verifier(100);
    await mirror.warmUp();
    await writer.revoke([{ kind: "subject", sub: "alice" }], Date.now());
    // The proxy holds the next read, and stops while it is held (a fault a healthy server cannot
    // produce on cue, injected at the proxy; Upstash itself stays up for the writer).
    outage.setFault({ kind: "delay", ms: 400 });
    clock.t += 1_000;
    const reading = mirror.check(facts("alice"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stopped = outage.stop();
    await expect(reading).rejects.toBeInstanceOf(StoreUnavailable);
    await stopped;
    await writer.revoke([{ kind: "subject", sub: "bob" }], Date.now());
    await expect(mirror.check(facts("alice"))).rejects.toBeInstanceOf(StoreUnavailable);

    const back = await startProxy(inject("services").upstashUrl, port);
    try {
      expect(await mirror.check(facts("alice"))).toMatchObject({ revoked: true });
      expect(await mirror.check(facts("bob"))).toMatchObject({ revoked: true });
      expect(mirror.stats()).toMatchObject({ snapshots: 1, rules: 2 });
    } finally {
      await back.stop();
    }
  });
});
