import { describe, expect, it } from "vitest";
import { awaitEnforcement, enforcementText } from "../../../../shared/receipts/enforcement.ts";
import { MemoryReceipts } from "../../../../shared/receipts/store.ts";
import { T0 } from "../../../support/deterministic.ts";
import { receiptOf } from "../../../support/receipts.ts";

const RULE = `${T0}-0`;

/** A clock whose sleeps move time, and let `onTick` change what the receipts say meanwhile. */
function steppedClock(onTick: (t: number) => void) {
  const clock = {
    t: T0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
      onTick(clock.t);
    },
  };
  return clock;
}

describe("awaitEnforcement", () => {
  it("says every live verifier enforces the rule, and by when, once each one's mirror is past its log entry", async () => {
    const receipts = new MemoryReceipts();
    receipts.record(receiptOf("a", T0 - 30_000, { position: `${T0 - 40_000}-0` }), T0);
    receipts.record(receiptOf("b", T0 - 20_000, { position: `${T0 - 40_000}-0` }), T0);
    const clock = steppedClock((t) => {
      if (t === T0 + 250) receipts.record(receiptOf("a", T0 + 180, { position: RULE }), t);
      if (t === T0 + 750) receipts.record(receiptOf("b", T0 + 640, { position: `${T0 + 5}-0` }), t);
    });
    const reach = await awaitEnforcement(receipts, "signing", { logged: RULE, revision: 9 }, clock);
    expect(reach).toEqual({ live: 2, enforced: 2, withinMs: 640, missing: [] });
    expect(enforcementText(reach!)).toBe("enforced by 2 of 2 live verifiers within 640 ms");
    expect(clock.t).toBe(T0 + 750);
  });

  it("names, after 5 s, a live verifier that never said so (cut off from Upstash), and counts one without a mirror as enforcing at once", async () => {
    const receipts = new MemoryReceipts();
    receipts.record(receiptOf("cut-off", T0 - 30_000, { position: `${T0 - 40_000}-0` }), T0);
    receipts.record(receiptOf("lookups", T0 - 10_000, { position: undefined }), T0);
    receipts.record(receiptOf("other", T0, { keyring: "sessions", position: "1-0" }), T0);
    const clock = steppedClock(() => undefined);
    const reach = await awaitEnforcement(receipts, "signing", { logged: RULE, revision: 9 }, clock);
    expect(reach).toMatchObject({ live: 2, enforced: 1, withinMs: 0 });
    expect(clock.t).toBe(T0 + 5_000);
    expect(enforcementText(reach!)).toBe(
      `enforced by 1 of 2 live verifiers within 0 ms; not within 5 s: authorizer eu-west-1 cut-off (revision 3, last seen ${new Date(T0 - 30_000).toISOString()})`,
    );
  });

  it("counts a verifier that loaded the emergency's keyring revision as enforcing, whatever its mirror says: the keyring refuses the compromised keys", async () => {
    const receipts = new MemoryReceipts();
    receipts.record(receiptOf("a", T0 - 30_000, { position: `${T0 - 40_000}-0`, revision: 8 }), T0);
    const clock = steppedClock((t) => {
      if (t === T0 + 500)
        receipts.record(receiptOf("a", T0 + 420, { position: `${T0 - 40_000}-0`, revision: 9 }), t);
    });
    expect(
      await awaitEnforcement(receipts, "signing", { logged: RULE, revision: 9 }, clock),
    ).toEqual({ live: 1, enforced: 1, withinMs: 420, missing: [] });
  });

  it("counts nobody when nobody is live, and measures nothing for a store that logs no stream ids", async () => {
    const receipts = new MemoryReceipts();
    const clock = steppedClock(() => undefined);
    expect(
      await awaitEnforcement(receipts, "signing", { logged: RULE, revision: 9 }, clock),
    ).toEqual({
      live: 0,
      enforced: 0,
      withinMs: undefined,
      missing: [],
    });
    expect(
      await awaitEnforcement(receipts, "signing", { logged: "42", revision: 9 }, clock),
    ).toBeUndefined();
  });
});
