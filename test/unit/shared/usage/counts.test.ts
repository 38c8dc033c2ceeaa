import { describe, expect, it } from "vitest";
import { HOUR, MINUTE } from "../../../../shared/kernel/clock.ts";
import { MemoryReceipts } from "../../../../shared/receipts/store.ts";
import {
  MemoryUsageStore,
  UsageRecorder,
  type UsageStore,
} from "../../../../shared/usage/counts.ts";
import { T0 } from "../../../support/deterministic.ts";
import { receiptOf } from "../../../support/receipts.ts";
import { usageCounts } from "../../../support/usage.ts";

describe("UsageRecorder", () => {
  it("counts in memory and writes at most once per interval", async () => {
    const store = new MemoryUsageStore();
    let writes = 0;
    const counting: UsageStore = {
      add: async (c, now) => {
        writes++;
        await store.add(c, now);
      },
      verificationsByKid: (now) => store.verificationsByKid(now),
      refusalsByKid: () => store.refusalsByKid(),
      staleSignersByKid: (now) => store.staleSignersByKid(now),
      consumersOf: (kid, now) => store.consumersOf(kid, now),
      verificationsByHour: (now) => store.verificationsByHour(now),
    };
    const recorder = new UsageRecorder(counting, T0, MINUTE);
    for (let i = 0; i < 50; i++) recorder.record(i % 5 === 0 ? "old" : "new", T0 + i * 1000);
    recorder.record("retired", T0 + 51_000, "refused");
    expect(writes).toBe(0);
    recorder.record("new", T0 + MINUTE);
    await recorder.flush(T0 + MINUTE);
    expect(writes).toBe(1);
    expect(await store.verificationsByKid(T0 + MINUTE)).toEqual({ old: 10, new: 41 });
    expect(await store.refusalsByKid()).toEqual({ retired: 1 });
  });

  it("writes the instance's receipt with its counts, and on its own in a minute with no count", async () => {
    const receipts = new MemoryReceipts();
    const store = new MemoryUsageStore(receipts);
    let revision = 1;
    const recorder = new UsageRecorder(store, T0, MINUTE, undefined, () =>
      receiptOf("me", T0, { revision }),
    );
    recorder.record("k1", T0 + 1000);
    await recorder.flush(T0 + MINUTE);
    expect(await receipts.live(T0 + MINUTE)).toEqual([receiptOf("me", T0, { revision: 1 })]);
    revision = 2;
    await recorder.flush(T0 + 2 * MINUTE);
    expect(await receipts.live(T0 + 2 * MINUTE)).toEqual([receiptOf("me", T0, { revision: 2 })]);
    expect(await store.verificationsByKid(T0 + 2 * MINUTE)).toEqual({ k1: 1 });
  });

  it("reports a change at once, after the write in flight when there is one: the receipt that lands says what changed", async () => {
    const written: (number | undefined)[] = [];
    let release: () => void = () => undefined;
    const slow: Pick<UsageStore, "add"> = {
      add: async (_counts, _now, receipt) => {
        if (written.length === 0) await new Promise<void>((resolve) => (release = resolve));
        written.push(receipt?.revision);
      },
    };
    let revision = 1;
    const recorder = new UsageRecorder(slow, T0, MINUTE, undefined, () =>
      receiptOf("me", T0, { revision }),
    );
    const minute = recorder.flush(T0 + MINUTE);
    revision = 2;
    const reported = recorder.report(() => T0 + MINUTE + 5);
    release();
    await Promise.all([minute, reported]);
    expect(written).toEqual([1, 2]);
  });

  it("counts a token from a stale signer as a verification and as a stale signer's, for two hours", async () => {
    const store = new MemoryUsageStore();
    const recorder = new UsageRecorder(store, T0, MINUTE);
    recorder.record("old", T0, "stale-signer");
    recorder.record("old", T0, "verified");
    await recorder.flush(T0 + MINUTE);
    expect(await store.verificationsByKid(T0 + MINUTE)).toEqual({ old: 2 });
    expect(await store.staleSignersByKid(T0 + MINUTE)).toEqual({ old: 1 });
    expect(await store.staleSignersByKid(T0 + 3 * 60 * MINUTE)).toEqual({});
  });

  it("counts each key's verifications by consumer and verifier kind, and a failed write keeps them", async () => {
    const store = new MemoryUsageStore();
    let fail = true;
    // Fault injected: the memory store cannot fail by itself.
    const flaky: Pick<UsageStore, "add"> = {
      add: async (c, now, receipt) => {
        if (fail) throw new Error("down");
        await store.add(c, now, receipt);
      },
    };
    const recorder = new UsageRecorder(
      flaky,
      T0,
      MINUTE,
      () => undefined,
      () => receiptOf("me", T0, { kind: "edge" }),
    );
    for (let i = 0; i < 3; i++) recorder.record("old", T0, "verified", "checkout");
    recorder.record("old", T0, "stale-signer", "mobile\u001b[31m");
    recorder.record("new", T0, "verified", "checkout");
    recorder.record("old", T0, "refused", "checkout");
    await recorder.flush(T0);
    fail = false;
    recorder.record("old", T0 + 1, "verified", "checkout");
    await recorder.flush(T0 + 2);
    expect(await store.consumersOf("old", T0 + 2)).toEqual([
      { consumer: "checkout", verifier: "edge", verifications: 4 },
      { consumer: "mobile?[31m", verifier: "edge", verifications: 1 },
    ]);
    expect(await store.consumersOf("new", T0 + 2)).toEqual([
      { consumer: "checkout", verifier: "edge", verifications: 1 },
    ]);
    expect(await store.consumersOf("old", T0 + 25 * HOUR)).toEqual([]);
    expect(await store.verificationsByKid(T0 + 2)).toEqual({ old: 5, new: 1 });
  });

  it("counts a key's consumers beyond the first hundred of a minute as (others)", async () => {
    const store = new MemoryUsageStore();
    const recorder = new UsageRecorder(store, T0, MINUTE);
    for (let i = 0; i < 105; i++) recorder.record("k", T0, "verified", `client-${i}`);
    recorder.record("k", T0, "verified", "client-0");
    await recorder.flush(T0);
    const consumers = await store.consumersOf("k", T0);
    expect(consumers).toHaveLength(101);
    expect(consumers.slice(0, 2)).toEqual([
      { consumer: "(others)", verifier: "unknown", verifications: 5 },
      { consumer: "client-0", verifier: "unknown", verifications: 2 },
    ]);
  });

  it("keeps the counts of a failed write for the next one", async () => {
    const store = new MemoryUsageStore();
    let fail = true;
    // Fault injected: the memory store cannot fail by itself.
    const flaky: UsageStore = {
      add: async (c, now) => {
        if (fail) throw new Error("down");
        await store.add(c, now);
      },
      verificationsByKid: (now) => store.verificationsByKid(now),
      refusalsByKid: () => store.refusalsByKid(),
      staleSignersByKid: (now) => store.staleSignersByKid(now),
      consumersOf: (kid, now) => store.consumersOf(kid, now),
      verificationsByHour: (now) => store.verificationsByHour(now),
    };
    const errors: unknown[] = [];
    const recorder = new UsageRecorder(flaky, T0, MINUTE, (error) => errors.push(error));
    recorder.record("k", T0);
    recorder.record("gone", T0, "refused");
    await recorder.flush(T0);
    expect(errors).toHaveLength(1);
    fail = false;
    recorder.record("k", T0 + 1);
    await recorder.flush(T0 + 2);
    expect(await store.verificationsByKid(T0 + 2)).toEqual({ k: 2 });
    expect(await store.refusalsByKid()).toEqual({ gone: 1 });
  });
});

describe("MemoryUsageStore", () => {
  it("reads the last 24 hours of verifications and every refusal ever counted", async () => {
    const store = new MemoryUsageStore();
    await store.add(usageCounts({ k: 5 }, { old: 2 }), T0);
    await store.add(usageCounts({ k: 7 }, { old: 1 }), T0 + 23 * HOUR);
    expect(await store.verificationsByKid(T0 + 23 * HOUR)).toEqual({ k: 12 });
    expect(await store.verificationsByKid(T0 + 24 * HOUR)).toEqual({ k: 7 });
    expect(await store.refusalsByKid()).toEqual({ old: 3 });
  });
});
