import { describe, expect, it } from "vitest";
import { DAY } from "../../../../shared/kernel/clock.ts";
import { prePublicationMs, resolvePolicy } from "../../../../shared/keyring/policy.ts";
import { activateKey } from "../../../../shared/keyring/transitions.ts";
import { keyringStatus } from "../../../../shared/operations/status.ts";
import { MemoryUsageStore } from "../../../../shared/usage/counts.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring, withPending } from "../../../support/keyrings.ts";
import { usageCounts } from "../../../support/usage.ts";

const policy = resolvePolicy();

async function rotated() {
  const pending = await withPending(await newKeyring("HS256"), "HS256", T0, seededRandom("s"));
  const [old, fresh] = pending.keys.map((k) => k.kid) as [string, string];
  return { keyring: expectOk(activateKey(pending, fresh, T0 + DAY)), old, fresh };
}

describe("keyringStatus", () => {
  it("gives each key its share of the last day's verifications and its next step", async () => {
    const { keyring, old, fresh } = await rotated();
    const usage = new MemoryUsageStore();
    await usage.add(usageCounts({ [old]: 1, [fresh]: 3 }), T0 + 2 * DAY);
    const status = await keyringStatus(keyring, policy, usage, T0 + 2 * DAY);
    expect(status.keys.map((k) => [k.status, k.share, k.staleSigner])).toEqual([
      ["previous", 0.25, 0],
      ["current", 0.75, 0],
    ]);
    expect(status.keys.map((k) => k.next)).toEqual([
      {
        action: "retire",
        earliest: new Date(T0 + DAY + policy.minGraceMs).toISOString(),
        latest: new Date(T0 + DAY + policy.maxGraceMs).toISOString(),
      },
      {
        action: "publish-successor",
        earliest: new Date(
          T0 + DAY + policy.rotationPeriodMs - prePublicationMs(policy),
        ).toISOString(),
      },
    ]);
  });

  it("shows no share before the keyring is used, and null figures when their store fails", async () => {
    const { keyring } = await rotated();
    const unused = await keyringStatus(keyring, policy, new MemoryUsageStore(), T0 + 2 * DAY);
    expect(unused.keys.map((k) => k.share)).toEqual([null, null]);
    const failing = await keyringStatus(
      keyring,
      policy,
      {
        verificationsByKid: () => Promise.reject(new Error("Upstash is down")),
        staleSignersByKid: () => Promise.reject(new Error("Upstash is down")),
      },
      T0 + 2 * DAY,
    );
    expect(failing.keys.map((k) => [k.share, k.staleSigner])).toEqual([
      [null, null],
      [null, null],
    ]);
  });
});
