import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MINUTE } from "../../../../shared/kernel/clock.ts";
import { ConfigInvalid, StoreUnavailable } from "../../../../shared/kernel/errors.ts";
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

/**
 * A writer, and verifiers' mirrors (through `url`) on a fresh prefix. Each verifier's clock is the
 * test's: time moves when the test moves it, so the 1 s promise is checked by construction
 * (freshness bound + budget) and not by how fast this machine happens to be. The budget is
 * generous where it is not the subject.
 */
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
  const verifier = (budgetMs = 500) => {
    const clock = { t: Date.now(), now: () => clock.t };
    const settings = { url, token: upstashToken };
    const mirror = new RevocationMirror({
      log: new UpstashRevocationLog(settings, prefix, budgetMs),
      fallback: new UpstashRevocationCheck({ ...settings, timing, prefix, budgetMs }),
      clock,
      freshnessMs: 1000 - budgetMs,
      budgetMs,
    });
    return { mirror, clock, freshnessMs: 1000 - budgetMs };
  };
  const rest = new UpstashRest({ url: upstashUrl, token: upstashToken }, 2_000);
  return { writer, verifier, prefix, rest };
}

const facts = (sub: string) => ({ sub, claims: {}, issuedAtMs: Date.now() - 1000 });

describe("the revocation mirror on Upstash (local REST server)", () => {
  it("three verifiers enforce a revocation once their freshness bound has passed, with one round trip each", async () => {
    const { writer, verifier } = deployment(proxy.url);
    // A log with entries already (a pristine one costs a counter read too).
    await writer.revoke([{ kind: "subject", sub: "someone-else" }], Date.now());
    const verifiers = [verifier(), verifier(), verifier()];
    await Promise.all(verifiers.map(({ mirror }) => mirror.warmUp()));
    proxy.reset();
    for (const { mirror } of verifiers)
      expect(await mirror.check(facts("alice"))).toEqual({ revoked: false });
    expect(proxy.requests()).toBe(0);

    await writer.revoke([{ kind: "subject", sub: "alice" }], Date.now());
    for (const { mirror, clock, freshnessMs } of verifiers) {
      // Checked every 10 ms of the verifier's time: allowed from memory until its bound, then refused.
      const answeredAt = clock.t;
      let status = await mirror.check(facts("alice"));
      while (!status.revoked && clock.t - answeredAt < freshnessMs) {
        clock.t += 10;
        status = await mirror.check(facts("alice"));
      }
      expect(status).toMatchObject({ revoked: true, rule: "subject" });
      expect(clock.t - answeredAt).toBeLessThanOrEqual(freshnessMs);
    }
    // A bound's worth of checks, one log read per verifier.
    expect(proxy.requests()).toBe(3);
  });

  it("a busy verifier never misses a rule whose log entry was trimmed before it read it (XTRIM MAXLEN 0)", async () => {
    const { writer, verifier, prefix, rest } = deployment();
    const { mirror, clock } = verifier();
    await mirror.warmUp();
    for (let second = 0; second < 3; second++) {
      clock.t += 1_000;
      expect(await mirror.check(facts("alice"))).toEqual({ revoked: false });
    }
    await writer.revoke([{ kind: "subject", sub: "alice" }], Date.now());
    await rest.command(["XTRIM", changeLogKey(prefix), "MAXLEN", 0]);
    clock.t += 1_000;
    expect(await mirror.check(facts("alice"))).toMatchObject({ revoked: true, rule: "subject" });
    await mirror.refreshing;
    clock.t += 1_000;
    expect(await mirror.check(facts("alice"))).toMatchObject({ revoked: true, rule: "subject" });
    expect(mirror.stats()).toMatchObject({ gaps: 1, snapshots: 2, rules: 1 });
  });

  it("a writer whose clock runs 10 minutes ahead does not trim the entry it writes (the log's trimming follows Redis's clock)", async () => {
    const { writer, verifier, prefix, rest } = deployment();
    const { mirror, clock } = verifier();
    await writer.revoke([{ kind: "subject", sub: "bob" }], Date.now());
    await mirror.warmUp();
    await writer.revoke([{ kind: "subject", sub: "alice" }], Date.now() + 10 * MINUTE);
    const entries = await rest.command<[string, string[]][]>([
      "XRANGE",
      changeLogKey(prefix),
      "-",
      "+",
    ]);
    expect(entries).toHaveLength(2);
    clock.t += 1_000;
    expect(await mirror.check(facts("alice"))).toMatchObject({ revoked: true, rule: "subject" });
    expect(mirror.stats()).toMatchObject({ gaps: 0, refreshes: 1 });
  });

  it("refuses a key prefix that a Redis pattern would read otherwise, in every reader and writer, naming the setting", () => {
    const { upstashUrl: url, upstashToken: token } = inject("services");
    for (const prefix of ["k[w:", "k*:", "k?:", "k\\:", ""]) {
      expect(() => new UpstashRevocationLog({ url, token }, prefix, 100), prefix).toThrow(
        "must be 1 to 64 characters from A-Z a-z 0-9 : _ . -",
      );
      expect(() => new UpstashRevocationStore({ url, token, timing, prefix }), prefix).toThrow(
        ConfigInvalid,
      );
      expect(() => new UpstashRevocationCheck({ url, token, timing, prefix }), prefix).toThrow(
        ConfigInvalid,
      );
    }
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
    expect((await log.since({ id: "0-0", seq: 0 })).entries.map((e) => e.key)).toEqual([
      `${prefix}rv:s:bob`,
    ]);

    lagging.clock.t += 11 * MINUTE;
    expect(await lagging.mirror.check(facts("alice"))).toMatchObject({ revoked: true });
    // The snapshot loaded in the background: both rules, decided from memory.
    await lagging.mirror.refreshing;
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
