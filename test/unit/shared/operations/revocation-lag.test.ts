import { describe, expect, it } from "vitest";
import { MemoryEventPublisher } from "../../../../shared/events/events.ts";
import { reportRevocationLag } from "../../../../shared/operations/revocation-lag.ts";
import { MemoryReceipts } from "../../../../shared/receipts/store.ts";
import { T0 } from "../../../support/deterministic.ts";
import { receiptOf } from "../../../support/receipts.ts";

const lag = (p99Ms: number) => ({ applied: 40, p50Ms: 120, p99Ms, maxMs: p99Ms + 50 });

describe("reportRevocationLag", () => {
  it("publishes RevocationLagExceeded naming each live verifier whose p99 passed the 1 s promise, and only those", async () => {
    const receipts = new MemoryReceipts();
    receipts.record(receiptOf("on-time", T0, { lag: lag(1000) }), T0);
    receipts.record(receiptOf("late", T0, { kind: "edge", region: "edge", lag: lag(1400) }), T0);
    receipts.record(receiptOf("quiet", T0), T0);
    const events = new MemoryEventPublisher();
    expect(await reportRevocationLag({ events, receipts }, T0)).toBe(1);
    expect(events.published).toEqual([
      {
        type: "RevocationLagExceeded",
        at: new Date(T0).toISOString(),
        detail: expect.objectContaining({
          instances: 1,
          worstP99Ms: 1400,
          promiseMs: 1000,
          late: ["edge edge late: p99 1400 ms, max 1450 ms over 40 applied"],
        }),
      },
    ]);
  });

  it("publishes nothing when every verifier is within the promise, or the receipts cannot be read", async () => {
    const events = new MemoryEventPublisher();
    const receipts = new MemoryReceipts();
    receipts.record(receiptOf("on-time", T0, { lag: lag(900) }), T0);
    expect(await reportRevocationLag({ events, receipts }, T0)).toBe(0);
    const failing = {
      live: async () => {
        throw new Error("Upstash unreachable");
      },
    };
    expect(await reportRevocationLag({ events, receipts: failing }, T0)).toBe(0);
    expect(events.published).toEqual([]);
  });
});
