import { describe, expect, it } from "vitest";
import { DAY } from "../../../../shared/kernel/clock.ts";
import { KeyringInvalid } from "../../../../shared/kernel/errors.ts";
import { generateKey } from "../../../../shared/keyring/generate.ts";
import { findKey } from "../../../../shared/keyring/keyring.ts";
import {
  activateKey,
  createKeyring,
  destroyKey,
  emergencyRotate,
  publishKey,
  reinstateKey,
  retireKey,
  rollback,
  setRollout,
} from "../../../../shared/keyring/transitions.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring, withPending } from "../../../support/keyrings.ts";

const random = seededRandom("transitions");

async function rotated() {
  const start = await newKeyring();
  const oldKid = start.keys[0]!.kid;
  const published = await withPending(start, "HS256", T0 + DAY, random);
  const newKid = published.keys[1]!.kid;
  const keyring = expectOk(activateKey(published, newKid, T0 + 2 * DAY));
  return { keyring, oldKid, newKid };
}

describe("createKeyring", () => {
  it("makes the first key current at revision 1", async () => {
    const keyring = createKeyring(await generateKey("HS256", T0, random), T0);
    expect(keyring.revision).toBe(1);
    expect(keyring.keys.map((k) => [k.status, k.activatedAt])).toEqual([["current", T0]]);
  });
});

describe("publishKey", () => {
  it("adds a pending key without touching the current one", async () => {
    const start = await newKeyring();
    const keyring = await withPending(start, "ES256", T0 + 1, random);
    expect(keyring.keys.map((k) => k.status)).toEqual(["current", "pending"]);
    expect(keyring.revision).toBe(start.revision + 1);
    expect(keyring.updatedAt).toBe(T0 + 1);
  });

  it("refuses a kid that already exists", async () => {
    const start = await newKeyring();
    const result = publishKey(start, start.keys[0]!, T0);
    expect(result).toMatchObject({ ok: false, code: "kid_exists" });
  });
});

describe("activateKey", () => {
  it("makes the pending key current and the old current key previous", async () => {
    const { keyring, oldKid, newKid } = await rotated();
    expect(findKey(keyring, newKid)).toMatchObject({
      status: "current",
      activatedAt: T0 + 2 * DAY,
    });
    expect(findKey(keyring, oldKid)).toMatchObject({
      status: "previous",
      deactivatedAt: T0 + 2 * DAY,
    });
  });

  it("refuses a key that is not pending, and an unknown kid", async () => {
    const { keyring, oldKid } = await rotated();
    expect(activateKey(keyring, oldKid, T0)).toMatchObject({ ok: false, code: "wrong_status" });
    expect(activateKey(keyring, "nope", T0)).toMatchObject({ ok: false, code: "key_not_found" });
  });

  it("never leaves the caller's snapshot changed", async () => {
    const start = await newKeyring();
    const published = await withPending(start, "HS256", T0, random);
    const before = JSON.stringify(published);
    expectOk(activateKey(published, published.keys[1]!.kid, T0 + 1));
    expect(JSON.stringify(published)).toBe(before);
  });
});

describe("retireKey / reinstateKey", () => {
  it("retires a previous key and reinstates it as previous", async () => {
    const { keyring, oldKid } = await rotated();
    const retired = expectOk(retireKey(keyring, oldKid, T0 + 10 * DAY));
    expect(findKey(retired, oldKid)).toMatchObject({ status: "retired", retiredAt: T0 + 10 * DAY });
    const back = expectOk(reinstateKey(retired, oldKid, T0 + 11 * DAY));
    expect(findKey(back, oldKid)).toMatchObject({
      status: "previous",
      deactivatedAt: T0 + 11 * DAY,
    });
    expect(findKey(back, oldKid)?.retiredAt).toBeUndefined();
  });

  it("refuses to retire the current key", async () => {
    const { keyring, newKid } = await rotated();
    expect(retireKey(keyring, newKid, T0)).toMatchObject({ ok: false, code: "wrong_status" });
  });

  it("retiring the pending key of a rollout stops the rollout", async () => {
    const published = await withPending(await newKeyring(), "HS256", T0, random);
    const pendingKid = published.keys[1]!.kid;
    const rolling = expectOk(setRollout(published, pendingKid, 25, T0 + 1));
    const stopped = expectOk(retireKey(rolling, pendingKid, T0 + 2));
    expect(stopped.rollout).toBeUndefined();
  });

  it("refuses to reinstate a key that is not retired", async () => {
    const { keyring, oldKid } = await rotated();
    expect(reinstateKey(keyring, oldKid, T0)).toMatchObject({ ok: false, code: "wrong_status" });
  });

  it("never reinstates a compromised key", async () => {
    const { keyring, oldKid } = await rotated();
    const emergency = expectOk(
      emergencyRotate(keyring, await generateKey("HS256", T0, random), T0 + 3 * DAY),
    );
    expect(reinstateKey(emergency, oldKid, T0 + 4 * DAY)).toMatchObject({
      ok: false,
      code: "key_compromised",
    });
  });
});

describe("destroyKey", () => {
  it("drops the material of a retired key and keeps its metadata", async () => {
    const { keyring, oldKid } = await rotated();
    const retired = expectOk(retireKey(keyring, oldKid, T0 + 10 * DAY));
    const destroyed = expectOk(destroyKey(retired, oldKid, T0 + 17 * DAY));
    const key = findKey(destroyed, oldKid);
    expect(key).toMatchObject({
      status: "destroyed",
      destroyedAt: T0 + 17 * DAY,
      retiredAt: T0 + 10 * DAY,
    });
    expect(key).not.toHaveProperty("jwk");
    expect(JSON.stringify(destroyed)).not.toContain(findKey(keyring, oldKid)!.jwk!.k);
  });

  it("refuses to destroy a key that is not retired", async () => {
    const { keyring, oldKid } = await rotated();
    expect(destroyKey(keyring, oldKid, T0)).toMatchObject({ ok: false, code: "wrong_status" });
  });

  it("cannot be undone: a destroyed key cannot be reinstated", async () => {
    const { keyring, oldKid } = await rotated();
    const destroyed = expectOk(destroyKey(expectOk(retireKey(keyring, oldKid, T0)), oldKid, T0));
    expect(reinstateKey(destroyed, oldKid, T0)).toMatchObject({ ok: false, code: "wrong_status" });
  });
});

describe("rollback", () => {
  it("swaps current and previous", async () => {
    const { keyring, oldKid, newKid } = await rotated();
    const rolled = expectOk(rollback(keyring, T0 + 3 * DAY));
    expect(findKey(rolled, oldKid)?.status).toBe("current");
    expect(findKey(rolled, newKid)).toMatchObject({
      status: "previous",
      deactivatedAt: T0 + 3 * DAY,
    });
  });

  it("picks the most recent previous key when there are several", async () => {
    const first = await rotated();
    const again = await withPending(first.keyring, "HS256", T0 + 3 * DAY, random);
    const third = again.keys[2]!.kid;
    const keyring = expectOk(activateKey(again, third, T0 + 4 * DAY));
    const rolled = expectOk(rollback(keyring, T0 + 5 * DAY));
    expect(findKey(rolled, first.newKid)?.status).toBe("current");
    expect(findKey(rolled, first.oldKid)?.status).toBe("previous");
  });

  it("refuses when there is no previous key, e.g. after an emergency", async () => {
    const { keyring } = await rotated();
    const emergency = expectOk(
      emergencyRotate(keyring, await generateKey("HS256", T0, random), T0),
    );
    expect(rollback(emergency, T0 + 1)).toMatchObject({ ok: false, code: "no_previous_key" });
  });

  it("stops a rolling rotation in progress", async () => {
    const { keyring } = await rotated();
    const published = await withPending(keyring, "HS256", T0 + 3 * DAY, random);
    const rolling = expectOk(setRollout(published, published.keys[2]!.kid, 50, T0 + 4 * DAY));
    const rolled = expectOk(rollback(rolling, T0 + 5 * DAY));
    expect(rolled.rollout).toBeUndefined();
    expect(findKey(rolled, published.keys[2]!.kid)?.status).toBe("pending");
  });
});

describe("emergencyRotate", () => {
  it("makes the new key current and retires every other key as compromised", async () => {
    const { keyring, oldKid, newKid } = await rotated();
    const published = await withPending(keyring, "HS256", T0 + 3 * DAY, random);
    const incoming = await generateKey("EdDSA", T0 + 4 * DAY, random);
    const result = expectOk(emergencyRotate(published, incoming, T0 + 4 * DAY));
    expect(findKey(result, incoming.kid)).toMatchObject({ status: "current", compromised: false });
    for (const kid of [oldKid, newKid, published.keys[2]!.kid]) {
      expect(findKey(result, kid)).toMatchObject({
        status: "retired",
        compromised: true,
        retiredAt: T0 + 4 * DAY,
      });
    }
  });

  it("keeps destroyed keys as they are and an earlier retirement date", async () => {
    const { keyring, oldKid } = await rotated();
    const retired = expectOk(retireKey(keyring, oldKid, T0 + 10 * DAY));
    const result = expectOk(
      emergencyRotate(retired, await generateKey("HS256", T0, random), T0 + 12 * DAY),
    );
    expect(findKey(result, oldKid)).toMatchObject({ retiredAt: T0 + 10 * DAY, compromised: true });
  });
});

describe("setRollout", () => {
  it("lets a pending key sign for a cohort", async () => {
    const published = await withPending(await newKeyring(), "HS256", T0, random);
    const kid = published.keys[1]!.kid;
    expect(expectOk(setRollout(published, kid, 25, T0 + 1)).rollout).toEqual({
      kid,
      percent: 25,
      since: T0 + 1,
    });
  });

  it("refuses a key that is not pending and a percentage outside 1..99", async () => {
    const published = await withPending(await newKeyring(), "HS256", T0, random);
    expect(setRollout(published, published.keys[0]!.kid, 25, T0)).toMatchObject({
      code: "rollout_invalid",
    });
    expect(setRollout(published, published.keys[1]!.kid, 100, T0)).toMatchObject({
      code: "rollout_invalid",
    });
    expect(setRollout(published, published.keys[1]!.kid, 0, T0)).toMatchObject({
      code: "rollout_invalid",
    });
  });

  it("activating the rolling key ends the rollout", async () => {
    const published = await withPending(await newKeyring(), "HS256", T0, random);
    const kid = published.keys[1]!.kid;
    const done = expectOk(activateKey(expectOk(setRollout(published, kid, 75, T0)), kid, T0 + 1));
    expect(done.rollout).toBeUndefined();
  });
});

describe("invariants on every write", () => {
  it("throws KeyringInvalid when a transition would produce a broken keyring", async () => {
    const keyring = await newKeyring();
    const weak = { ...(await generateKey("HS256", T0, random)), jwk: { kty: "oct", k: "c2hvcnQ" } };
    expect(() => publishKey(keyring, weak, T0)).toThrow(KeyringInvalid);
    expect(() => publishKey(keyring, weak, T0)).toThrow(
      /HS256 material must decode to at least 32 bytes/,
    );
  });
});
