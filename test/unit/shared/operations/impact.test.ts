import { describe, expect, it } from "vitest";
import { DAY } from "../../../../shared/kernel/clock.ts";
import { resolvePolicy } from "../../../../shared/keyring/policy.ts";
import { activateKey } from "../../../../shared/keyring/transitions.ts";
import { keyImpact } from "../../../../shared/operations/impact.ts";
import { MemoryUsageStore } from "../../../../shared/usage/counts.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring, withPending } from "../../../support/keyrings.ts";
import { usageCounts } from "../../../support/usage.ts";

const policy = resolvePolicy();

async function rotated() {
  const pending = await withPending(await newKeyring("HS256"), "HS256", T0, seededRandom("i"));
  const [old, fresh] = pending.keys.map((k) => k.kid) as [string, string];
  return { keyring: expectOk(activateKey(pending, fresh, T0 + DAY)), old, fresh };
}

const byConsumer = (entries: Record<string, Record<string, number>>) =>
  new Map(Object.entries(entries).map(([kid, c]) => [kid, new Map(Object.entries(c))]));

describe("keyImpact", () => {
  it("names who verified a previous key's tokens over the last day, its share and its retirement window", async () => {
    const { keyring, old, fresh } = await rotated();
    const usage = new MemoryUsageStore();
    const at = T0 + 2 * DAY;
    await usage.add(
      {
        // A kid of another keyring counts in the same figures, not in this keyring's share.
        ...usageCounts({ [old]: 30, [fresh]: 70, "a-sessions-kid": 50 }),
        consumers: byConsumer({ [old]: { checkout: 25, mobile: 5 }, [fresh]: { checkout: 70 } }),
        kind: "edge",
      },
      at,
    );
    const impact = await keyImpact(keyring, old, policy, usage, at);
    expect(impact).toEqual({
      ok: true,
      value: {
        kid: old,
        status: "previous",
        verifications: 30,
        share: 0.3,
        next: expect.objectContaining({ action: "retire" }),
        consumers: [
          { consumer: "checkout", verifier: "edge", verifications: 25 },
          { consumer: "mobile", verifier: "edge", verifications: 5 },
        ],
      },
    });
  });

  it("counts nothing for a key nobody presented, and no share before anything was counted", async () => {
    const { keyring, old } = await rotated();
    const impact = await keyImpact(keyring, old, policy, new MemoryUsageStore(), T0 + 2 * DAY);
    expect(impact).toMatchObject({
      ok: true,
      value: { verifications: 0, share: null, consumers: [] },
    });
  });

  it("refuses a kid the keyring does not hold, and says when the figures cannot be read", async () => {
    const { keyring, old } = await rotated();
    const usage = new MemoryUsageStore();
    expect(await keyImpact(keyring, "nope", policy, usage, T0)).toMatchObject({
      ok: false,
      code: "key_not_found",
    });
    // Fault injected: the memory store cannot fail by itself.
    const down = {
      verificationsByKid: () => Promise.reject(new Error("down")),
      consumersOf: () => Promise.reject(new Error("down")),
    };
    expect(await keyImpact(keyring, old, policy, down, T0)).toMatchObject({
      ok: false,
      code: "store_unavailable",
    });
  });
});
