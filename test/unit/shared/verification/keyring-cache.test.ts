import { describe, expect, it } from "vitest";
import { MINUTE, SECOND } from "../../../../shared/kernel/clock.ts";
import { KeyringInvalid } from "../../../../shared/kernel/errors.ts";
import type { Keyring } from "../../../../shared/keyring/keyring.ts";
import { KeyringCache } from "../../../../shared/verification/keyring-cache.ts";
import { T0 } from "../../../support/deterministic.ts";
import { newKeyring } from "../../../support/keyrings.ts";

/** A keyring source whose answers the test controls, counting its calls. */
function source(first: Keyring) {
  const state = {
    keyring: first as Keyring | undefined,
    fail: undefined as Error | undefined,
    calls: 0,
    delayMs: 0,
  };
  // Reads what is stored when it begins, answers after the delay (as a slow GetSecretValue).
  const load = async () => {
    state.calls++;
    const { keyring, fail } = state;
    if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
    if (fail !== undefined) throw fail;
    return keyring;
  };
  return { state, load };
}

/** Lets a background reload (an immediately answering source) finish. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function clockAt(start: number) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

describe("KeyringCache", () => {
  it("loads once and serves from memory until the TTL passes", async () => {
    const k1 = await newKeyring();
    const { state, load } = source(k1);
    const clock = clockAt(T0);
    const cache = new KeyringCache({ load, clock });
    expect(await cache.get()).toMatchObject({ ok: true, keyring: k1, stale: false });
    clock.t += 59 * SECOND;
    await cache.get();
    expect(state.calls).toBe(1);
    const k2 = await newKeyring("ES256");
    state.keyring = k2;
    clock.t += 1 * SECOND;
    // Past the TTL the cached keyring answers at once while the reload runs.
    expect(await cache.get()).toMatchObject({ ok: true, keyring: k1, stale: false });
    await settle();
    expect(await cache.get()).toMatchObject({ ok: true, keyring: k2, ageMs: 0 });
    expect(state.calls).toBe(2);
  });

  it("shares one load among concurrent callers", async () => {
    const { state, load } = source(await newKeyring());
    state.delayMs = 20;
    const cache = new KeyringCache({ load, clock: clockAt(T0) });
    const reads = await Promise.all(Array.from({ length: 50 }, () => cache.get()));
    expect(reads.every((r) => r.ok)).toBe(true);
    expect(state.calls).toBe(1);
  });

  it("reloads for unknown kids at most once per cooldown, and every caller meanwhile waits for that reload", async () => {
    const { state, load } = source(await newKeyring());
    const clock = clockAt(T0);
    const cache = new KeyringCache({ load, clock, unknownKidCooldownMs: 10 * SECOND });
    await cache.get();
    const first = await Promise.all(Array.from({ length: 100 }, () => cache.reloadForUnknownKid()));
    expect(first.every(Boolean)).toBe(true);
    clock.t += 9 * SECOND;
    expect(await cache.reloadForUnknownKid()).toBe(false);
    clock.t += 1 * SECOND;
    expect(await cache.reloadForUnknownKid()).toBe(true);
    expect(state.calls).toBe(3);
  });

  it("for an unknown kid, reloads after a load already in flight, which may have begun before the new key existed", async () => {
    const k1 = await newKeyring();
    const { state, load } = source(k1);
    const clock = clockAt(T0);
    const cache = new KeyringCache({ load, clock });
    await cache.get();
    // A background reload begins (the TTL passed) and reads the keyring before the new key is in it.
    state.delayMs = 20;
    clock.t += MINUTE;
    await cache.get();
    const k2 = await newKeyring("ES256");
    state.keyring = k2;
    expect(await cache.reloadForUnknownKid()).toBe(true);
    expect(await cache.get()).toMatchObject({ ok: true, keyring: k2 });
    expect(state.calls).toBe(3);
  });

  it("keeps serving the last good keyring, marked stale, while loading fails, up to the limit", async () => {
    const k1 = await newKeyring();
    const { state, load } = source(k1);
    const clock = clockAt(T0);
    const cache = new KeyringCache({ load, clock, ttlMs: MINUTE, maxStaleMs: 15 * MINUTE });
    await cache.get();
    state.fail = new Error("Secrets Manager is down");
    clock.t += 2 * MINUTE;
    await cache.get();
    await settle();
    expect(await cache.get()).toMatchObject({
      ok: true,
      keyring: k1,
      stale: true,
      ageMs: 2 * MINUTE,
    });
    expect(cache.lastError).toBe(state.fail);
    clock.t += 14 * MINUTE - 1;
    expect(await cache.get()).toMatchObject({ ok: true, stale: true });
    clock.t += 1;
    expect(await cache.get()).toEqual({ ok: false, reason: "keyring_unavailable" });
    state.fail = undefined;
    clock.t += 5 * SECOND;
    expect(await cache.get()).toMatchObject({ ok: true, stale: false });
  });

  it("treats an invalid keyring like a failure: the last good one keeps serving", async () => {
    const k1 = await newKeyring();
    const { state, load } = source(k1);
    const clock = clockAt(T0);
    const cache = new KeyringCache({ load, clock });
    await cache.get();
    state.fail = new KeyringInvalid(["keyring has 2 current keys"]);
    clock.t += 2 * MINUTE;
    await cache.get();
    await settle();
    expect(await cache.get()).toMatchObject({ ok: true, keyring: k1, stale: true });
  });

  it("answers from the cached keyring at once while a reload hangs, and waits only for an unknown kid, within its budget", async () => {
    const k1 = await newKeyring();
    let calls = 0;
    let hang = false;
    const load = () => {
      calls++;
      return hang ? new Promise<Keyring>(() => {}) : Promise.resolve(k1);
    };
    const clock = clockAt(T0);
    const cache = new KeyringCache({ load, clock, unknownKidWaitMs: 30 });
    await cache.get();
    hang = true;
    clock.t += 2 * MINUTE;
    const reads = await Promise.all(Array.from({ length: 100 }, () => cache.get()));
    expect(reads.every((r) => r.ok && r.keyring === k1)).toBe(true);
    expect(calls).toBe(2);
    // Answers without the hanging load: the request goes on with the keyring it has.
    expect(await cache.reloadForUnknownKid()).toBe(false);
  });

  it("waits before retrying a failed load, so an outage is not hammered", async () => {
    const { state, load } = source(await newKeyring());
    const clock = clockAt(T0);
    const cache = new KeyringCache({ load, clock, retryAfterMs: 5 * SECOND });
    await cache.get();
    state.fail = new Error("down");
    clock.t += MINUTE;
    for (let i = 0; i < 20; i++) await cache.get();
    expect(state.calls).toBe(2);
    clock.t += 5 * SECOND;
    await cache.get();
    expect(state.calls).toBe(3);
  });

  it("refuses when no keyring was ever loaded", async () => {
    const cache = new KeyringCache({ load: async () => undefined, clock: clockAt(T0) });
    expect(await cache.get()).toEqual({ ok: false, reason: "keyring_unavailable" });
  });
});
