import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigInvalid } from "../../../../shared/kernel/errors.ts";
import { generateKey } from "../../../../shared/keyring/generate.ts";
import type { Keyring } from "../../../../shared/keyring/keyring.ts";
import {
  activateKey,
  destroyKey,
  emergencyRotate,
  retireKey,
  setRollout,
} from "../../../../shared/keyring/transitions.ts";
import { cohortOf } from "../../../../shared/tokens/cohort.ts";
import { createSigner } from "../../../../shared/tokens/signer.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring, withPending } from "../../../support/keyrings.ts";

const random = seededRandom("verifier");
const signer = createSigner({ lifetimeSeconds: 3600, random });

function subjectInCohortBelow(percent: number): string {
  for (let i = 0; ; i++) if (cohortOf(`user-${i}`) < percent) return `user-${i}`;
}

afterEach(() => {
  vi.restoreAllMocks();
});

async function rotatedWithTokens() {
  const start = await newKeyring();
  const oldToken = await signer.sign(start, { sub: "alice" }, T0);
  const published = await withPending(start, "HS256", T0, random);
  const keyring = expectOk(activateKey(published, published.keys[1]!.kid, T0 + 120_000));
  const newToken = await signer.sign(keyring, { sub: "alice" }, T0 + 120_000);
  return {
    keyring,
    oldToken,
    newToken,
    oldKid: start.keys[0]!.kid,
    newKid: published.keys[1]!.kid,
  };
}

describe("verify", () => {
  it("allows a token of the current key with its claims, kid and key status", async () => {
    const keyring = await newKeyring();
    const token = await signer.sign(keyring, { sub: "alice", claims: { scope: "read" } }, T0);
    const result = await createVerifier().verify(token, keyring, T0 + 1000);
    expect(result).toMatchObject({
      ok: true,
      kid: keyring.keys[0]!.kid,
      keyStatus: "current",
      legacy: false,
      claims: { sub: "alice", scope: "read", exp: T0 / 1000 + 3600 },
    });
  });

  it("keeps allowing tokens of the previous key after a graceful rotation", async () => {
    const { keyring, oldToken, newToken } = await rotatedWithTokens();
    const verifier = createVerifier();
    expect(await verifier.verify(oldToken, keyring, T0 + 130_000)).toMatchObject({
      ok: true,
      keyStatus: "previous",
    });
    expect(await verifier.verify(newToken, keyring, T0 + 130_000)).toMatchObject({
      ok: true,
      keyStatus: "current",
    });
  });

  it("allows tokens of a pending key signing for a rollout cohort", async () => {
    const published = await withPending(await newKeyring(), "ES256", T0, random);
    const keyring = expectOk(setRollout(published, published.keys[1]!.kid, 99, T0));
    const token = await signer.sign(keyring, { sub: subjectInCohortBelow(99) }, T0);
    const result = await createVerifier().verify(token, keyring, T0);
    expect(result).toMatchObject({ ok: true, kid: published.keys[1]!.kid, keyStatus: "pending" });
  });

  it("refuses tokens of a retired key, a destroyed key and a compromised key, naming the key", async () => {
    const { keyring, oldToken, oldKid } = await rotatedWithTokens();
    const verifier = createVerifier();
    const retired = expectOk(retireKey(keyring, oldKid, T0 + 200_000));
    expect(await verifier.verify(oldToken, retired, T0 + 200_000)).toEqual({
      ok: false,
      reason: "key_retired",
      kid: oldKid,
    });
    const destroyed = expectOk(destroyKey(retired, oldKid, T0 + 200_000));
    expect(await verifier.verify(oldToken, destroyed, T0 + 200_000)).toEqual({
      ok: false,
      reason: "key_retired",
      kid: oldKid,
    });
    const emergency = expectOk(
      emergencyRotate(keyring, await generateKey("HS256", T0, random), T0 + 200_000),
    );
    expect(await verifier.verify(oldToken, emergency, T0 + 200_000)).toEqual({
      ok: false,
      reason: "key_compromised",
      kid: oldKid,
    });
  });

  it("names the key only for tokens that were not expired anyway", async () => {
    const { keyring, oldToken, oldKid } = await rotatedWithTokens();
    const afterExpiry = T0 + 2 * 3_600_000;
    const retired = expectOk(retireKey(keyring, oldKid, afterExpiry));
    expect(await createVerifier().verify(oldToken, retired, afterExpiry)).toEqual({
      ok: false,
      reason: "key_retired",
    });
  });

  it("applies the clock tolerance to exp", async () => {
    const keyring = await newKeyring();
    const token = await signer.sign(keyring, { sub: "a" }, T0);
    const verifier = createVerifier({ clockToleranceSeconds: 5, cacheSize: 0 });
    expect((await verifier.verify(token, keyring, T0 + 3_604_000)).ok).toBe(true);
    expect(await verifier.verify(token, keyring, T0 + 3_605_000)).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("checks issuer, audience and type when configured", async () => {
    const keyring = await newKeyring();
    const token = await createSigner({ issuer: "iss-a", audience: "aud-a", type: "at+jwt" }).sign(
      keyring,
      { sub: "a" },
      T0,
    );
    expect(
      (
        await createVerifier({
          issuer: "iss-a",
          audience: "aud-a",
          type: "application/at+jwt",
        }).verify(token, keyring, T0)
      ).ok,
    ).toBe(true);
    expect(await createVerifier({ issuer: "iss-b" }).verify(token, keyring, T0)).toEqual({
      ok: false,
      reason: "issuer_mismatch",
    });
    expect(await createVerifier({ audience: "aud-b" }).verify(token, keyring, T0)).toEqual({
      ok: false,
      reason: "audience_mismatch",
    });
    expect(await createVerifier({ type: "refresh+jwt" }).verify(token, keyring, T0)).toEqual({
      ok: false,
      reason: "type_mismatch",
    });
  });

  it("never throws, whatever it is given", async () => {
    const keyring = await newKeyring();
    const verifier = createVerifier();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.anything(), fc.string(), fc.stringMatching(/^[A-Za-z0-9_.-]{0,300}$/)),
        async (input) => {
          const result = await verifier.verify(input, keyring, T0);
          expect(result.ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("checks its options at once, naming each", () => {
    expect(() =>
      createVerifier({ clockToleranceSeconds: -1, maxTokenLength: 10, issuer: "" }),
    ).toThrow(ConfigInvalid);
    try {
      createVerifier({ clockToleranceSeconds: -1, maxTokenLength: 10, issuer: "" });
    } catch (error) {
      expect((error as ConfigInvalid).problems).toEqual([
        "issuer must be a non-empty string when set",
        "clockToleranceSeconds must be a whole number from 0 to 300, got -1",
        "maxTokenLength must be a whole number from 256 to 65536, got 10",
      ]);
    }
  });

  it("imports each key once, however many tokens it verifies", async () => {
    const keyring = await newKeyring("ES256");
    const tokens = await Promise.all(
      ["a", "b", "c"].map((sub) => signer.sign(keyring, { sub }, T0)),
    );
    const importKey = vi.spyOn(crypto.subtle, "importKey");
    const verifier = createVerifier();
    const results = await Promise.all(tokens.map((t) => verifier.verify(t, keyring, T0)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(importKey).toHaveBeenCalledTimes(1);
  });
});

describe("the verified-token cache", () => {
  // A spy on WebCrypto's verify counts signature checks; it changes nothing.
  function countSignatureChecks() {
    return vi.spyOn(crypto.subtle, "verify");
  }

  it("caches a token from its second verification: the third skips the signature check", async () => {
    const keyring = await newKeyring();
    const token = await signer.sign(keyring, { sub: "a" }, T0);
    const verifier = createVerifier();
    const checks = countSignatureChecks();
    const first = await verifier.verify(token, keyring, T0);
    await verifier.verify(token, keyring, T0 + 1000);
    expect(checks).toHaveBeenCalledTimes(2);
    const third = await verifier.verify(token, keyring, T0 + 2000);
    expect(third).toEqual(first);
    expect(checks).toHaveBeenCalledTimes(2);
  });

  it("keeps nothing but a fingerprint of a token seen once", async () => {
    const keyring = await newKeyring();
    const tokens = await Promise.all(
      ["a", "b", "c"].map((sub) => signer.sign(keyring, { sub }, T0)),
    );
    const checks = countSignatureChecks();
    const verifier = createVerifier();
    for (const token of tokens) await verifier.verify(token, keyring, T0);
    for (const token of tokens) await verifier.verify(token, keyring, T0);
    expect(checks).toHaveBeenCalledTimes(6);
  });

  it("never serves a token past its exp", async () => {
    const keyring = await newKeyring();
    const token = await signer.sign(keyring, { sub: "a" }, T0);
    const verifier = createVerifier({ clockToleranceSeconds: 0 });
    expect((await verifier.verify(token, keyring, T0)).ok).toBe(true);
    expect(await verifier.verify(token, keyring, T0 + 3_600_000)).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("is emptied when a key is retired, compromised or destroyed", async () => {
    const { keyring, oldToken, oldKid } = await rotatedWithTokens();
    const verifier = createVerifier();
    const later = T0 + 130_000;
    for (let i = 0; i < 3; i++)
      expect((await verifier.verify(oldToken, keyring, later)).ok).toBe(true);
    const retired = expectOk(retireKey(keyring, oldKid, later));
    expect(await verifier.verify(oldToken, retired, later)).toEqual({
      ok: false,
      reason: "key_retired",
      kid: oldKid,
    });
    const emergency = expectOk(
      emergencyRotate(keyring, await generateKey("HS256", T0, random), later),
    );
    expect(await verifier.verify(oldToken, emergency, later)).toEqual({
      ok: false,
      reason: "key_compromised",
      kid: oldKid,
    });
  });

  it("reports the key's new status after an activation", async () => {
    const published = await withPending(await newKeyring(), "HS256", T0, random);
    const pendingKid = published.keys[1]!.kid;
    const rolling = expectOk(setRollout(published, pendingKid, 99, T0));
    const verifier = createVerifier();
    const token = await signer.sign(rolling, { sub: subjectInCohortBelow(99) }, T0);
    await verifier.verify(token, rolling, T0);
    await verifier.verify(token, rolling, T0);
    expect(await verifier.verify(token, rolling, T0)).toMatchObject({
      ok: true,
      kid: pendingKid,
      keyStatus: "pending",
    });
    const activated = expectOk(activateKey(rolling, pendingKid, T0 + 1));
    expect(await verifier.verify(token, activated, T0 + 2)).toMatchObject({
      ok: true,
      keyStatus: "current",
    });
  });

  it("is bounded: the oldest entry is evicted first", async () => {
    const keyring = await newKeyring();
    const tokens = await Promise.all(
      ["a", "b", "c"].map((sub) => signer.sign(keyring, { sub }, T0)),
    );
    const verifier = createVerifier({ cacheSize: 2 });
    for (const token of [...tokens, ...tokens]) await verifier.verify(token, keyring, T0);
    const checks = countSignatureChecks();
    await verifier.verify(tokens[2]!, keyring, T0);
    await verifier.verify(tokens[1]!, keyring, T0);
    expect(checks).toHaveBeenCalledTimes(0);
    await verifier.verify(tokens[0]!, keyring, T0);
    expect(checks).toHaveBeenCalledTimes(1);
  });

  it("holds only successes: a refused token is checked again each time", async () => {
    const keyring: Keyring = await newKeyring();
    const token = await signer.sign(keyring, { sub: "a" }, T0);
    const forged = `${token.slice(0, -2)}AA`;
    const verifier = createVerifier();
    const checks = countSignatureChecks();
    await verifier.verify(forged, keyring, T0);
    await verifier.verify(forged, keyring, T0);
    expect(checks).toHaveBeenCalledTimes(2);
  });
});
