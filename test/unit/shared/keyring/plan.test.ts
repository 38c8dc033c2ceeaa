import { describe, expect, it } from "vitest";
import { DAY } from "../../../../shared/kernel/clock.ts";
import { findKey, type Keyring } from "../../../../shared/keyring/keyring.ts";
import {
  applyPlan,
  type KeyUsage,
  lingeringPreviousKey,
  planTransitions,
} from "../../../../shared/keyring/plan.ts";
import {
  prePublicationMs,
  type RotationPolicy,
  resolvePolicy,
} from "../../../../shared/keyring/policy.ts";
import { localCustody } from "../../../../shared/keyring-store/custody.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { newKeyring } from "../../../support/keyrings.ts";

const random = seededRandom("policy");
const policy = resolvePolicy();
const PRE = prePublicationMs(policy);

async function tick(
  keyring: Keyring,
  now: number,
  usage: KeyUsage = undefined,
  p: RotationPolicy = policy,
) {
  return (await applyPlan(keyring, now, usage, p, localCustody(random).create)).keyring;
}

/** A keyring one scheduled rotation in: key A previous since `rotatedAt`, key B current. */
async function afterFirstRotation() {
  const start = await newKeyring();
  const oldKid = start.keys[0]!.kid;
  const published = await tick(start, T0 + 90 * DAY - PRE);
  const rotatedAt = T0 + 90 * DAY;
  const keyring = await tick(published, rotatedAt);
  return { keyring, oldKid, newKid: published.keys[1]!.kid, rotatedAt };
}

describe("planTransitions", () => {
  it("plans nothing for a fresh keyring", async () => {
    expect(planTransitions(await newKeyring(), T0 + DAY, undefined, policy)).toEqual([]);
  });

  it("publishes the next key a pre-publication period before the 90 days are up", async () => {
    const keyring = await newKeyring();
    expect(planTransitions(keyring, T0 + 90 * DAY - PRE - 1, undefined, policy)).toEqual([]);
    expect(planTransitions(keyring, T0 + 90 * DAY - PRE, undefined, policy)).toEqual([
      { type: "publish", reason: "scheduled rotation is due" },
    ]);
  });

  it("activates the pending key once every cached verifier has seen it", async () => {
    const keyring = await tick(await newKeyring(), T0 + 90 * DAY - PRE);
    const pendingKid = keyring.keys[1]!.kid;
    expect(findKey(keyring, pendingKid)?.status).toBe("pending");
    expect(planTransitions(keyring, T0 + 90 * DAY - 1, undefined, policy)).toEqual([]);
    expect(planTransitions(keyring, T0 + 90 * DAY, undefined, policy)).toEqual([
      { type: "activate", kid: pendingKid, reason: "pre-publication period elapsed" },
    ]);
  });

  it("holds the previous key while its share is at or above 5 %", async () => {
    const { keyring, oldKid, newKid, rotatedAt } = await afterFirstRotation();
    const usage = { [oldKid]: 5, [newKid]: 95 };
    expect(planTransitions(keyring, rotatedAt + 7 * DAY, usage, policy)).toEqual([]);
    expect(planTransitions(keyring, rotatedAt + 21 * DAY - 1, usage, policy)).toEqual([]);
  });

  it("retires the previous key after 7 days once its share is below 5 %", async () => {
    const { keyring, oldKid, newKid, rotatedAt } = await afterFirstRotation();
    const usage = { [oldKid]: 4, [newKid]: 96 };
    expect(planTransitions(keyring, rotatedAt + 7 * DAY - 1, usage, policy)).toEqual([]);
    expect(planTransitions(keyring, rotatedAt + 7 * DAY, usage, policy)).toEqual([
      { type: "retire", kid: oldKid, reason: "share of verifications is 4.0 %" },
    ]);
  });

  it("forces retirement at 21 days whatever the share, and when nobody measured", async () => {
    const { keyring, oldKid, rotatedAt } = await afterFirstRotation();
    for (const usage of [{ [oldKid]: 80 }, undefined]) {
      expect(planTransitions(keyring, rotatedAt + 14 * DAY, usage, policy)).toEqual([]);
      expect(planTransitions(keyring, rotatedAt + 21 * DAY, usage, policy)).toEqual([
        { type: "retire", kid: oldKid, reason: "maximum grace period reached" },
      ]);
    }
  });

  it("never retires a key before what it signed or sealed last can have expired: the lifetime plus a cache TTL after it stopped", async () => {
    // Sessions live as long as the minimum grace; a sealer may seal with the key for one cache
    // TTL after it stopped being current, so its last session ends a TTL past the grace.
    const sessions = resolvePolicy({
      algorithm: "A256GCM",
      maxTokenLifetimeMs: 7 * DAY,
      minGraceMs: 7 * DAY,
      maxGraceMs: 7 * DAY,
    });
    const start = await newKeyring("A256GCM");
    const oldKid = start.keys[0]!.kid;
    const published = await tick(start, T0 + 90 * DAY - PRE, undefined, sessions);
    const rotatedAt = T0 + 90 * DAY;
    const keyring = await tick(published, rotatedAt, undefined, sessions);
    const lastExpiry = rotatedAt + 7 * DAY + sessions.keyringCacheTtlMs;
    for (const usage of [{ [oldKid]: 0, [published.keys[1]!.kid]: 100 }, undefined]) {
      expect(planTransitions(keyring, lastExpiry - 1, usage, sessions)).toEqual([]);
      expect(planTransitions(keyring, lastExpiry, usage, sessions)).toMatchObject([
        { type: "retire", kid: oldKid },
      ]);
    }
  });

  it("reads a key's share among its own keyring's keys: another keyring's traffic does not dilute it", async () => {
    const { keyring, oldKid, newKid, rotatedAt } = await afterFirstRotation();
    // 10 % of this keyring's verifications, 1 % of all counted (the sessions keyring's opens).
    const usage = { [oldKid]: 10, [newKid]: 90, "a-sessions-kid": 900 };
    expect(planTransitions(keyring, rotatedAt + 7 * DAY, usage, policy)).toEqual([]);
  });

  it("destroys a retired key after 7 days of retention", async () => {
    const { keyring, oldKid, rotatedAt } = await afterFirstRotation();
    const retired = await tick(keyring, rotatedAt + 21 * DAY);
    expect(findKey(retired, oldKid)?.status).toBe("retired");
    expect(planTransitions(retired, rotatedAt + 28 * DAY - 1, undefined, policy)).toEqual([]);
    const destroyed = await tick(retired, rotatedAt + 28 * DAY);
    expect(findKey(destroyed, oldKid)).toMatchObject({ status: "destroyed" });
    expect(findKey(destroyed, oldKid)?.jwk).toBeUndefined();
  });

  it("rolls a key out 25 → 50 → 75 → current, one step per period", async () => {
    const rolling = resolvePolicy({ strategy: "rolling" });
    let keyring = await tick(await newKeyring(), T0 + 90 * DAY - PRE, undefined, rolling);
    const kid = keyring.keys[1]!.kid;
    const seen: (number | string)[] = [];
    for (let t = T0 + 90 * DAY; t <= T0 + 90 * DAY + 21 * DAY; t += DAY) {
      keyring = await tick(keyring, t, undefined, rolling);
      const status = findKey(keyring, kid)?.status;
      const step = status === "current" ? "current" : (keyring.rollout?.percent ?? 0);
      if (seen.at(-1) !== step) seen.push(step);
    }
    expect(seen).toEqual([25, 50, 75, "current"]);
  });

  it("commits a tick as one revision however many actions it applies", async () => {
    const { keyring, rotatedAt } = await afterFirstRotation();
    const retiredAndPublished = await applyPlan(
      keyring,
      rotatedAt + 90 * DAY,
      undefined,
      policy,
      localCustody(random).create,
    );
    expect(retiredAndPublished.applied.map((a) => a.type)).toEqual(["retire", "publish"]);
    expect(retiredAndPublished.keyring.revision).toBe(keyring.revision + 1);
  });

  it("does nothing the second time at the same instant", async () => {
    const { keyring, rotatedAt } = await afterFirstRotation();
    for (const t of [
      T0 + 90 * DAY - PRE,
      T0 + 90 * DAY,
      rotatedAt + 21 * DAY,
      rotatedAt + 28 * DAY,
    ]) {
      const once = await tick(keyring, t);
      expect(planTransitions(once, t, undefined, policy)).toEqual([]);
    }
  });
});

describe("lingeringPreviousKey", () => {
  it("names a previous key still in use once it is past its minimum grace, and only then", async () => {
    const { keyring, oldKid, newKid, rotatedAt } = await afterFirstRotation();
    const usage = { [oldKid]: 30, [newKid]: 70 };
    expect(lingeringPreviousKey(keyring, rotatedAt + 6 * DAY, usage, policy)).toBeUndefined();
    expect(lingeringPreviousKey(keyring, rotatedAt + 7 * DAY, usage, policy)).toEqual({
      kid: oldKid,
      share: 0.3,
    });
    expect(lingeringPreviousKey(keyring, rotatedAt + 7 * DAY, undefined, policy)).toBeUndefined();
    expect(lingeringPreviousKey(keyring, rotatedAt + 7 * DAY, {}, policy)).toEqual({
      kid: oldKid,
      share: 0,
    });
  });
});
