import { describe, expect, it } from "vitest";
import { PACKAGE_VERSION } from "../../../../shared/kernel/version.ts";
import type { Keyring } from "../../../../shared/keyring/keyring.ts";
import { receiptReporter } from "../../../../shared/receipts/reporter.ts";

const keyring = {
  revision: 9,
  keys: [
    { kid: "new", status: "pending" },
    { kid: "now", status: "current" },
    { kid: "old", status: "previous" },
    ...Array.from({ length: 80 }, (_, i) => ({
      kid: `gone-${i}`,
      status: i % 2 ? "retired" : "destroyed",
    })),
  ],
} as unknown as Keyring;

describe("receiptReporter", () => {
  it("reports the keys an instance verifies with, however many retired and destroyed ones its keyring keeps", () => {
    let lagTaken = 0;
    const report = receiptReporter({
      instance: "i",
      kind: "authorizer",
      region: "eu-west-1",
      keyring: "signing",
      held: () => keyring,
      mirror: {
        position: "1-0",
        takeLag: () =>
          lagTaken++ === 0 ? { applied: 2, p50Ms: 5, p99Ms: 9, maxMs: 9 } : undefined,
      },
      clock: { now: () => 1_000 },
    });
    expect(report()).toEqual({
      instance: "i",
      kind: "authorizer",
      region: "eu-west-1",
      version: PACKAGE_VERSION,
      keyring: "signing",
      revision: 9,
      keys: [
        { kid: "new", status: "pending" },
        { kid: "now", status: "current" },
        { kid: "old", status: "previous" },
      ],
      position: "1-0",
      lag: { applied: 2, p50Ms: 5, p99Ms: 9, maxMs: 9 },
      at: 1_000,
    });
    // The lag is reported once: the next receipt covers what came after.
    expect(report().lag).toBeUndefined();
  });

  it("says it holds nothing before its first keyring", () => {
    const report = receiptReporter({
      instance: "i",
      kind: "sessions",
      region: "unknown",
      keyring: "sessions",
      held: () => undefined,
      clock: { now: () => 0 },
    });
    expect(report()).toMatchObject({ revision: undefined, keys: [], position: undefined });
  });
});
