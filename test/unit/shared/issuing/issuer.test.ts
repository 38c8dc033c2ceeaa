import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { createIssuer, IssuerUnavailable } from "../../../../shared/issuing/issuer.ts";
import { MINUTE, SECOND } from "../../../../shared/kernel/clock.ts";
import { UsageError } from "../../../../shared/kernel/errors.ts";
import { generateKey } from "../../../../shared/keyring/generate.ts";
import { publicJwk } from "../../../../shared/keyring/key.ts";
import type { Keyring } from "../../../../shared/keyring/keyring.ts";
import {
  activateKey,
  emergencyRotate,
  publishKey,
  setRollout,
} from "../../../../shared/keyring/transitions.ts";
import { cohortOf } from "../../../../shared/tokens/cohort.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring } from "../../../support/keyrings.ts";

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function stored(first: Keyring) {
  const state = { keyring: first as Keyring | undefined, fail: false };
  return {
    state,
    load: async () => {
      if (state.fail) throw new Error("Secrets Manager is down");
      return state.keyring;
    },
  };
}

describe("createIssuer", () => {
  it("signs with the current key; the verifier and plain jose (JWKS) accept the token", async () => {
    const keyring = await newKeyring("ES256", T0);
    const clock = { t: T0 + SECOND, now: () => clock.t };
    const issuer = createIssuer({ keyring: stored(keyring), clock, issuer: "https://login" });
    const issued = await issuer.issue({ sub: "alice", claims: { role: "admin" } });
    expect(issued).toMatchObject({
      kid: keyring.keys[0]?.kid,
      expiresAt: new Date(T0 + SECOND + 3600 * SECOND).toISOString(),
    });
    expect(await createVerifier().verify(issued.token, keyring, clock.t)).toMatchObject({
      ok: true,
      keyStatus: "current",
      claims: { sub: "alice", role: "admin", jti: issued.jti, iss: "https://login" },
    });
    const jwks = createLocalJWKSet({ keys: keyring.keys.flatMap((k) => publicJwk(k) ?? []) });
    const { payload } = await jwtVerify(issued.token, jwks, {
      issuer: "https://login",
      currentDate: new Date(clock.t),
    });
    expect(payload.sub).toBe("alice");
  });

  it("follows a rotation within its cache TTL, never signing with a pending key outside a rollout", async () => {
    const random = seededRandom("issuer");
    const first = await newKeyring("HS256", T0, random);
    const source = stored(first);
    const clock = { t: T0, now: () => clock.t };
    const issuer = createIssuer({ keyring: source, clock });
    const pending = await generateKey("HS256", T0, random);
    source.state.keyring = expectOk(publishKey(first, pending, T0));
    clock.t += 2 * MINUTE;
    await issuer.issue({ sub: "a" });
    await settle();
    expect((await issuer.issue({ sub: "a" })).kid).toBe(first.keys[0]?.kid);
    const rolling = expectOk(setRollout(source.state.keyring, pending.kid, 50, clock.t));
    source.state.keyring = rolling;
    clock.t += 2 * MINUTE;
    await issuer.issue({ sub: "a" });
    await settle();
    const subjects = ["a", "b", "c", "d", "e", "f", "g", "h"];
    for (const sub of subjects) {
      const expected = cohortOf(sub) < 50 ? pending.kid : first.keys[0]?.kid;
      expect({ sub, kid: (await issuer.issue({ sub })).kid }).toEqual({ sub, kid: expected });
    }
    source.state.keyring = expectOk(activateKey(rolling, pending.kid, clock.t));
    clock.t += 2 * MINUTE;
    await issuer.issue({ sub: "a" });
    await settle();
    expect((await issuer.issue({ sub: "b" })).kid).toBe(pending.kid);
  });

  it("after a long idle, signs its first token with the keyring as it is now, not as it was", async () => {
    const random = seededRandom("idle");
    const first = await newKeyring("HS256", T0, random);
    const source = stored(first);
    const clock = { t: T0, now: () => clock.t };
    const issuer = createIssuer({ keyring: source, clock });
    await issuer.issue({ sub: "a" });
    const next = await generateKey("HS256", T0, random);
    source.state.keyring = expectOk(
      activateKey(expectOk(publishKey(first, next, T0)), next.kid, T0 + MINUTE),
    );
    clock.t += 30 * 24 * 60 * MINUTE;
    expect((await issuer.issue({ sub: "a" })).kid).toBe(next.kid);
  });

  it("after an emergency, signs with the compromised key only while its keyring is younger than the TTL", async () => {
    const random = seededRandom("emergency");
    const first = await newKeyring("HS256", T0, random);
    const source = stored(first);
    const clock = { t: T0, now: () => clock.t };
    const issuer = createIssuer({ keyring: source, clock, cacheTtlSeconds: 60 });
    await issuer.issue({ sub: "a" });
    const fresh = await generateKey("HS256", T0, random);
    source.state.keyring = expectOk(emergencyRotate(first, fresh, T0 + 1));
    clock.t = T0 + 60 * SECOND - 1;
    expect((await issuer.issue({ sub: "a" })).kid).toBe(first.keys[0]?.kid);
    clock.t = T0 + 60 * SECOND;
    expect((await issuer.issue({ sub: "a" })).kid).toBe(fresh.kid);
  });

  it("throws IssuerUnavailable when it cannot know a key, and signs with the last good one up to the stale bound", async () => {
    const source = stored(await newKeyring("HS256", T0));
    const clock = { t: T0, now: () => clock.t };
    const issuer = createIssuer({ keyring: source, clock, maxStaleSeconds: 600 });
    await issuer.issue({ sub: "a" });
    source.state.fail = true;
    clock.t += 5 * MINUTE;
    await issuer.issue({ sub: "a" });
    await settle();
    expect((await issuer.issue({ sub: "a" })).token).toBeTypeOf("string");
    clock.t += 10 * MINUTE;
    const refused = issuer.issue({ sub: "a" });
    await expect(refused).rejects.toThrow(IssuerUnavailable);
    await expect(refused).rejects.toMatchObject({ code: "keyring_unavailable" });
    const nothing = createIssuer({ keyring: { load: async () => undefined }, clock });
    await expect(nothing.issue({ sub: "a" })).rejects.toThrow(IssuerUnavailable);
  });

  it("refuses reserved claims and lifetimes over the maximum, with a code", async () => {
    const issuer = createIssuer({
      keyring: stored(await newKeyring("HS256", T0)),
      clock: { now: () => T0 },
      maxLifetimeSeconds: 900,
    });
    await expect(issuer.issue({ sub: "a", claims: { exp: 1 } })).rejects.toThrow(UsageError);
    await expect(issuer.issue({ sub: "a", lifetimeSeconds: 901 })).rejects.toMatchObject({
      code: "usage_error",
      message: "lifetimeSeconds must be a whole number from 1 to 900",
    });
    expect(() =>
      createIssuer({
        keyring: stored({} as Keyring),
        lifetimeSeconds: 3600,
        maxLifetimeSeconds: 900,
      }),
    ).toThrow(/lifetimeSeconds/);
  });
});
