import { describe, expect, it } from "vitest";
import { DAY, MINUTE, SECOND } from "../../../../shared/kernel/clock.ts";
import { StoreUnavailable } from "../../../../shared/kernel/errors.ts";
import type { RevocationLog } from "../../../../shared/revocation/change-log.ts";
import { MemoryRevocationStore } from "../../../../shared/revocation/memory.ts";
import { RevocationMirror } from "../../../../shared/revocation/mirror.ts";
import { T0 } from "../../../support/deterministic.ts";

const timing = { maxTokenLifetimeSeconds: 3600, clockToleranceSeconds: 5 };

/** The in-memory store (rules and change log), a mirror of it, and a count of its log reads. */
function mirrored(options: { maxRules?: number } = {}) {
  const clock = { t: T0, now: () => clock.t };
  const store = new MemoryRevocationStore(timing, clock);
  const reads = { since: 0, snapshot: 0 };
  const log: RevocationLog = {
    prefix: store.prefix,
    since: (position) => {
      reads.since++;
      return store.since(position);
    },
    snapshot: (now) => {
      reads.snapshot++;
      return store.snapshot(now);
    },
  };
  const overflows: number[] = [];
  const mirror = new RevocationMirror({
    log,
    fallback: store,
    clock,
    onOverflow: (rules) => overflows.push(rules),
    ...options,
  });
  return { clock, store, mirror, reads, overflows };
}

const alice = (issuedAtMs: number) => ({ sub: "alice", claims: {}, issuedAtMs });

describe("RevocationMirror", () => {
  it("decides from memory while its last refresh began under 900 ms ago, then one read of the log brings it up to date", async () => {
    const { clock, store, mirror, reads } = mirrored();
    await mirror.warmUp();
    expect(reads).toEqual({ since: 0, snapshot: 1 });
    for (let i = 0; i < 100; i++) await mirror.check(alice(T0 - 1));
    expect(reads).toEqual({ since: 0, snapshot: 1 });

    await store.revoke([{ kind: "subject", sub: "alice" }], clock.t);
    clock.t += 899;
    // Written after the refresh began, and the mirror is still within its bound: not yet.
    expect(await mirror.check(alice(T0 - 1))).toEqual({ revoked: false });
    clock.t += 1;
    expect(await mirror.check(alice(T0 - 1))).toMatchObject({ revoked: true, rule: "subject" });
    expect(reads).toEqual({ since: 1, snapshot: 1 });
    // A login after the cut-off is not refused.
    expect(await mirror.check(alice(T0 + 1))).toEqual({ revoked: false });
    expect(mirror.stats()).toMatchObject({ local: 103, refreshes: 1, snapshots: 1, rules: 1 });
  });

  it("shares one refresh among every check that needs it", async () => {
    const { clock, mirror, reads } = mirrored();
    await mirror.warmUp();
    clock.t += SECOND;
    await Promise.all(Array.from({ length: 50 }, () => mirror.check(alice(T0))));
    expect(reads.since).toBe(1);
  });

  it("answers by lookups until its first snapshot has loaded", async () => {
    const { clock, store, mirror, reads } = mirrored();
    await store.revoke([{ kind: "subject", sub: "alice" }], clock.t);
    expect(await mirror.check(alice(T0 - 1))).toMatchObject({ revoked: true });
    expect(mirror.stats()).toMatchObject({ lookups: 1, local: 0 });
    expect(reads.snapshot).toBe(1);
  });

  it("reloads a snapshot when it was idle past the log's retention, and misses none of the trimmed entries", async () => {
    const { clock, store, mirror, reads } = mirrored();
    await mirror.warmUp();
    clock.t += MINUTE;
    await store.revoke([{ kind: "subject", sub: "alice" }], clock.t);
    // Twenty minutes of other revocations: the writers trim alice's entry from the log.
    for (let i = 0; i < 20; i++) {
      clock.t += MINUTE;
      await store.revoke([{ kind: "subject", sub: `user-${i}` }], clock.t);
    }
    expect((await store.since({ id: "0", seq: 0 })).entries.map((e) => e.key)).not.toContain(
      "kw:rv:s:alice",
    );
    expect(await mirror.check(alice(T0 + 30 * SECOND))).toMatchObject({ revoked: true });
    expect(reads.snapshot).toBe(2);
  });

  it("drops rules when they expire in the store", async () => {
    const { clock, store, mirror } = mirrored();
    await store.revoke([{ kind: "subject", sub: "alice" }], clock.t);
    await mirror.warmUp();
    expect(await mirror.check(alice(T0 - 1))).toMatchObject({ revoked: true });
    clock.t += DAY;
    expect(await mirror.check(alice(T0 - 1))).toEqual({ revoked: false });
    expect(mirror.stats().rules).toBe(0);
  });

  it("above its size bound, stops, says so, and answers every check by a lookup", async () => {
    const { clock, store, mirror, overflows } = mirrored({ maxRules: 2 });
    await store.revoke(
      ["a", "b", "c"].map((sub) => ({ kind: "subject" as const, sub })),
      clock.t,
    );
    expect(await mirror.check({ sub: "c", claims: {}, issuedAtMs: T0 - 1 })).toMatchObject({
      revoked: true,
    });
    expect(overflows).toEqual([3]);
    expect(mirror.stats()).toMatchObject({ lookups: 1, local: 0, rules: 0 });
  });

  it("never decides alone past its bound: a log that does not answer is StoreUnavailable within the budget", async () => {
    const { clock, store } = mirrored();
    // A stub, only to inject what a real store cannot be made to do on cue: hang.
    let hang = false;
    const log: RevocationLog = {
      prefix: store.prefix,
      since: (p) => (hang ? new Promise(() => undefined) : store.since(p)),
      snapshot: (n) => store.snapshot(n),
    };
    const mirror = new RevocationMirror({ log, fallback: store, clock, budgetMs: 50 });
    await mirror.warmUp();
    hang = true;
    clock.t += SECOND;
    await expect(mirror.check(alice(T0))).rejects.toBeInstanceOf(StoreUnavailable);
  });

  it("never decides on a log that lost an entry: a trimmed entry is a gap, answered by lookups until a snapshot", async () => {
    const { clock, store, mirror, reads } = mirrored();
    await mirror.warmUp();
    await store.revoke([{ kind: "subject", sub: "alice" }], clock.t);
    // The entry is gone before this mirror read it (XTRIM, eviction): only its number says so.
    store.trimLog();
    clock.t += SECOND;
    expect(await mirror.check(alice(T0 - 1))).toMatchObject({ revoked: true, rule: "subject" });
    expect(mirror.stats()).toMatchObject({ gaps: 1, lookups: 1 });
    await mirror.refreshing;
    expect(reads.snapshot).toBe(2);
    expect(await mirror.check(alice(T0 - 1))).toMatchObject({ revoked: true, rule: "subject" });
    expect(mirror.stats()).toMatchObject({ local: 1, rules: 1 });
  });

  it("takes a counter that went back (the log's keys evicted or reset) for a gap too", async () => {
    const { clock, store } = mirrored();
    let reset = false;
    const log: RevocationLog = {
      prefix: store.prefix,
      since: async (p) => {
        const delta = await store.since(p);
        return reset ? { ...delta, head: 0, entries: [] } : delta;
      },
      snapshot: (n) => store.snapshot(n),
    };
    const mirror = new RevocationMirror({ log, fallback: store, clock });
    await store.revoke([{ kind: "subject", sub: "bob" }], clock.t);
    await mirror.warmUp();
    reset = true;
    clock.t += SECOND;
    await store.revoke([{ kind: "subject", sub: "alice" }], clock.t);
    expect(await mirror.check(alice(T0 - 1))).toMatchObject({ revoked: true });
    expect(mirror.stats()).toMatchObject({ gaps: 1, lookups: 1 });
  });

  it("measures its freshness on a monotonic clock: a wall clock stepped back does not keep it deciding alone", async () => {
    const clock = { t: T0, mono: 0, now: () => clock.t, elapsed: () => clock.mono };
    const store = new MemoryRevocationStore(timing, clock);
    const mirror = new RevocationMirror({ log: store, fallback: store, clock });
    await mirror.warmUp();
    await store.revoke([{ kind: "subject", sub: "alice" }], clock.t);
    // NTP steps the wall clock back 10 s; one real second passes.
    clock.t -= 10 * SECOND;
    clock.mono += SECOND;
    expect(await mirror.check(alice(T0 - 20 * SECOND))).toMatchObject({ revoked: true });
    expect(mirror.stats()).toMatchObject({ refreshes: 1 });
  });

  it("once told its own process wrote a rule, reads the log at the next check", async () => {
    const { clock, store, mirror, reads } = mirrored();
    await mirror.warmUp();
    await store.revoke([{ kind: "subject", sub: "alice" }], clock.t);
    mirror.expire();
    clock.t += 1;
    expect(await mirror.check(alice(T0 - 1))).toMatchObject({ revoked: true });
    expect(reads.since).toBe(1);
  });

  it("refuses a freshness bound and budget that together exceed the 1 s promise", () => {
    const store = new MemoryRevocationStore(timing, { now: () => T0 });
    expect(
      () =>
        new RevocationMirror({
          log: store,
          fallback: store,
          clock: { now: () => T0 },
          freshnessMs: 1000,
          budgetMs: 100,
        }),
    ).toThrow("freshnessMs plus budgetMs must be at most 1000 (the revocation promise)");
  });

  it("refuses on a stored value that is not a number, as the lookup does", async () => {
    const { clock, store } = mirrored();
    const log: RevocationLog = {
      prefix: store.prefix,
      since: (p) => store.since(p),
      snapshot: async () => ({
        position: { id: "0", seq: 0 },
        rules: [{ key: "kw:rv:s:alice", value: Number.NaN, expiresAtMs: Infinity }],
      }),
    };
    const mirror = new RevocationMirror({ log, fallback: store, clock });
    await mirror.warmUp();
    expect(await mirror.check(alice(T0 + DAY))).toMatchObject({ revoked: true });
  });

  it("never lowers or removes a rule because of a log entry: a forged entry with an earlier instant or a past expiry changes nothing", async () => {
    const { clock, store } = mirrored();
    let forged: { key: string; value: number; expiresAtMs: number }[] = [];
    const log: RevocationLog = {
      prefix: store.prefix,
      since: async (p) => {
        const delta = await store.since(p);
        const extra = forged.map((e, i) => ({ ...e, seq: delta.head + i + 1 }));
        forged = [];
        return {
          ...delta,
          head: delta.head + extra.length,
          entries: [...delta.entries, ...extra],
          position:
            extra.length === 0
              ? delta.position
              : { id: delta.position.id, seq: delta.head + extra.length },
        };
      },
      snapshot: (n) => store.snapshot(n),
    };
    const mirror = new RevocationMirror({ log, fallback: store, clock });
    await store.revoke([{ kind: "subject", sub: "alice" }], clock.t);
    await mirror.warmUp();
    forged = [
      { key: "kw:rv:s:alice", value: T0 - DAY, expiresAtMs: T0 - 1 },
      { key: "kw:rv:s:alice", value: 1, expiresAtMs: T0 + 1 },
    ];
    clock.t += SECOND;
    expect(await mirror.check(alice(T0 - 1))).toMatchObject({ revoked: true, rule: "subject" });
    expect(mirror.stats()).toMatchObject({ refreshes: 1, gaps: 0, rules: 1 });
  });
});
