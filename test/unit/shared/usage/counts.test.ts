import { describe, expect, it } from "vitest";
import { HOUR, MINUTE } from "../../../../shared/clock.ts";
import {
  MemoryUsageStore,
  UsageRecorder,
  type UsageStore,
} from "../../../../shared/usage/counts.ts";
import { T0 } from "../../../support/deterministic.ts";

describe("UsageRecorder", () => {
  it("counts in memory and writes at most once per interval", async () => {
    const store = new MemoryUsageStore();
    const writes: number[] = [];
    const counting: UsageStore = {
      add: async (c, now) => {
        writes.push(c.size);
        await store.add(c, now);
      },
      verificationsByKid: (now) => store.verificationsByKid(now),
    };
    const recorder = new UsageRecorder(counting, T0, MINUTE);
    for (let i = 0; i < 50; i++) recorder.record(i % 5 === 0 ? "old" : "new", T0 + i * 1000);
    expect(writes).toEqual([]);
    recorder.record("new", T0 + MINUTE);
    await recorder.flush(T0 + MINUTE);
    expect(writes).toHaveLength(1);
    expect(await store.verificationsByKid(T0 + MINUTE)).toEqual({ old: 10, new: 41 });
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
    };
    const errors: unknown[] = [];
    const recorder = new UsageRecorder(flaky, T0, MINUTE, (error) => errors.push(error));
    recorder.record("k", T0);
    await recorder.flush(T0);
    expect(errors).toHaveLength(1);
    fail = false;
    recorder.record("k", T0 + 1);
    await recorder.flush(T0 + 2);
    expect(await store.verificationsByKid(T0 + 2)).toEqual({ k: 2 });
  });
});

describe("MemoryUsageStore", () => {
  it("reads the last 24 hours and nothing older", async () => {
    const store = new MemoryUsageStore();
    await store.add(new Map([["k", 5]]), T0);
    await store.add(new Map([["k", 7]]), T0 + 23 * HOUR);
    expect(await store.verificationsByKid(T0 + 23 * HOUR)).toEqual({ k: 12 });
    expect(await store.verificationsByKid(T0 + 24 * HOUR)).toEqual({ k: 7 });
  });
});
