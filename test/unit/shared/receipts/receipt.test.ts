import { describe, expect, it } from "vitest";
import { holdingOf } from "../../../../shared/receipts/holding.ts";
import { newInstanceId, parseReceipt } from "../../../../shared/receipts/receipt.ts";
import { MemoryReceipts } from "../../../../shared/receipts/store.ts";
import { receiptOf } from "../../../support/receipts.ts";

describe("receipts", () => {
  it("read back as written", () => {
    const receipt = receiptOf("a", 1_000, {
      position: "1700000000000-0",
      lag: { applied: 3, p50Ms: 420, p99Ms: 880, maxMs: 900 },
    });
    expect(parseReceipt(JSON.stringify(receipt))).toEqual(receipt);
  });

  it("leave out a stored receipt that does not read as one, rather than trust it", () => {
    const good = receiptOf("a", 1_000);
    for (const bad of [
      "not json",
      "null",
      JSON.stringify({ ...good, kind: "attacker" }),
      JSON.stringify({ ...good, instance: "" }),
      JSON.stringify({ ...good, keys: [{ kid: "k1", status: "owned" }] }),
      JSON.stringify({ ...good, keys: "k1" }),
      JSON.stringify({ ...good, at: -1 }),
      JSON.stringify({ ...good, at: 1e20 }),
      JSON.stringify({ ...good, revision: "3" }),
      JSON.stringify({ ...good, lag: { applied: 1, p50Ms: "fast", p99Ms: 1, maxMs: 1 } }),
      JSON.stringify({ ...good, region: "x".repeat(65) }),
    ])
      expect(parseReceipt(bad), bad).toBeUndefined();
  });

  it("give each instance a random id of its own", () => {
    const random = { bytes: (n: number) => new Uint8Array(n).fill(7) };
    expect(newInstanceId(random)).toBe("BwcHBwcHBwcHBwcH");
    expect(newInstanceId({ bytes: (n) => crypto.getRandomValues(new Uint8Array(n)) })).toMatch(
      /^[A-Za-z0-9_-]{16}$/,
    );
  });

  it("count which live instances of a keyring hold a key, and name the others", () => {
    const receipts = [
      receiptOf("a", 0, {
        keys: [
          { kid: "k2", status: "pending" },
          { kid: "k1", status: "current" },
        ],
      }),
      receiptOf("b", 0),
      receiptOf("c", 0, { keyring: "sessions" }),
    ];
    const holding = holdingOf(receipts, "signing", "k2");
    expect(holding).toMatchObject({ kid: "k2", live: 2, held: 1 });
    expect(holding.laggards.map((r) => r.instance)).toEqual(["b"]);
  });

  it("drop an instance from the live ones once the window has passed since its last receipt", async () => {
    const receipts = new MemoryReceipts(60_000);
    receipts.record(receiptOf("quiet", 0), 0);
    receipts.record(receiptOf("busy", 0), 0);
    receipts.record(receiptOf("busy", 50_000), 50_000);
    expect((await receipts.live(59_999)).map((r) => r.instance)).toEqual(["busy", "quiet"]);
    expect((await receipts.live(60_000)).map((r) => r.instance)).toEqual(["busy"]);
    expect(await receipts.live(110_000)).toEqual([]);
  });
});
