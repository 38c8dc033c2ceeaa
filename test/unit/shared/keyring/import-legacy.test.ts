import { randomBytes } from "node:crypto";
import jwt from "jsonwebtoken";
import { describe, expect, it } from "vitest";
import { HOUR } from "../../../../shared/kernel/clock.ts";
import { generateKey } from "../../../../shared/keyring/generate.ts";
import {
  decodeLegacySecret,
  importLegacySecret,
} from "../../../../shared/keyring/import-legacy.ts";
import { keyringProblems } from "../../../../shared/keyring/invariants.ts";
import {
  activateKey,
  emergencyRotate,
  publishKey,
  retireKey,
} from "../../../../shared/keyring/transitions.ts";
import { createSigner } from "../../../../shared/tokens/signer.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring } from "../../../support/keyrings.ts";

const random = seededRandom("legacy");
const NOW_S = T0 / 1000;
/** A JWT_SECRET as today's systems have it: a string, used by jsonwebtoken as its UTF-8 bytes. */
const LEGACY_SECRET = "correct-horse-battery-staple-çø-2024!";

/** A token exactly as the legacy system issued it: jsonwebtoken, HS256, no kid, no jti. */
function legacyToken(secret: string | Buffer, sub = "u-42"): string {
  return jwt.sign({ sub, iat: NOW_S, exp: NOW_S + 24 * 3600 }, secret, { algorithm: "HS256" });
}

describe("importLegacySecret", () => {
  it("takes a string secret as its UTF-8 bytes and verifies the legacy system's tokens", async () => {
    const keyring = expectOk(importLegacySecret(undefined, LEGACY_SECRET, "utf8", T0, random));
    expect(keyring.keys[0]).toMatchObject({ status: "current", legacy: true, alg: "HS256" });
    const result = await createVerifier().verify(legacyToken(LEGACY_SECRET), keyring, T0);
    expect(result).toMatchObject({ ok: true, legacy: true, claims: { sub: "u-42" } });
  });

  it("decodes base64 and hex secrets on request", async () => {
    const bytes = randomBytes(48);
    for (const [encoding, text] of [
      ["base64", bytes.toString("base64")],
      ["hex", bytes.toString("hex")],
    ] as const) {
      const keyring = expectOk(importLegacySecret(undefined, text, encoding, T0, random));
      expect((await createVerifier().verify(legacyToken(bytes), keyring, T0)).ok).toBe(true);
      expect(await createVerifier().verify(legacyToken(text), keyring, T0)).toEqual({
        ok: false,
        reason: "signature_invalid",
      });
    }
  });

  it("imports a secret shorter than 32 bytes verify-only, beside the current key, and refuses text that does not decode", async () => {
    const start = await newKeyring();
    const short = expectOk(importLegacySecret(start, "short-secret", "utf8", T0 + HOUR, random));
    expect(short.keys.map((k) => [k.status, k.legacy, k.verifyOnly])).toEqual([
      ["current", false, undefined],
      ["previous", true, true],
    ]);
    expect(keyringProblems(short)).toEqual([]);
    expect(importLegacySecret(undefined, "short-secret", "utf8", T0, random)).toMatchObject({
      ok: false,
      code: "secret_invalid",
    });
    expect(decodeLegacySecret("", "utf8")).toEqual({ ok: false, message: "secret is empty" });
    expect(decodeLegacySecret("zz".repeat(40), "hex")).toEqual({
      ok: false,
      message: "secret is not hex (pairs of 0-9, a-f)",
    });
    expect(decodeLegacySecret("@@@@", "base64")).toEqual({
      ok: false,
      message: "secret is not base64",
    });
  });

  it("makes the secret current at once in an existing keyring, the old key previous", async () => {
    const start = await newKeyring();
    const keyring = expectOk(importLegacySecret(start, LEGACY_SECRET, "utf8", T0 + HOUR, random));
    expect(keyring.keys.map((k) => [k.status, k.legacy])).toEqual([
      ["previous", false],
      ["current", true],
    ]);
  });

  it("refuses a second import while the first legacy key still verifies", async () => {
    const keyring = expectOk(importLegacySecret(undefined, LEGACY_SECRET, "utf8", T0, random));
    expect(importLegacySecret(keyring, `${LEGACY_SECRET}-2`, "utf8", T0, random)).toMatchObject({
      ok: false,
      code: "legacy_key_exists",
    });
  });

  it("keeps verifying legacy tokens while previous, and stops once retired or compromised", async () => {
    const imported = expectOk(importLegacySecret(undefined, LEGACY_SECRET, "utf8", T0, random));
    const legacyKid = imported.keys[0]!.kid;
    const published = expectOk(publishKey(imported, await generateKey("HS256", T0, random), T0));
    const rotated = expectOk(activateKey(published, published.keys[1]!.kid, T0 + 1));
    const verifier = createVerifier({ cacheSize: 0 });
    const token = legacyToken(LEGACY_SECRET);
    expect(await verifier.verify(token, rotated, T0 + 2)).toMatchObject({
      ok: true,
      keyStatus: "previous",
      legacy: true,
    });
    const retired = expectOk(retireKey(rotated, legacyKid, T0 + 3));
    expect(await verifier.verify(token, retired, T0 + 4)).toEqual({
      ok: false,
      reason: "key_retired",
      kid: legacyKid,
    });
    const emergency = expectOk(
      emergencyRotate(rotated, await generateKey("HS256", T0, random), T0 + 3),
    );
    expect(await verifier.verify(token, emergency, T0 + 4)).toEqual({
      ok: false,
      reason: "key_compromised",
      kid: legacyKid,
    });
  });

  it("signs new tokens with kid and jti, and holds those to the full rules", async () => {
    const keyring = expectOk(importLegacySecret(undefined, LEGACY_SECRET, "utf8", T0, random));
    const token = await createSigner().sign(keyring, { sub: "u-1" }, T0);
    expect(await createVerifier().verify(token, keyring, T0)).toMatchObject({
      ok: true,
      legacy: false,
    });
    const kidWithoutJti = jwt.sign({ sub: "u", iat: NOW_S, exp: NOW_S + 60 }, LEGACY_SECRET, {
      algorithm: "HS256",
      keyid: keyring.keys[0]!.kid,
    });
    expect(await createVerifier().verify(kidWithoutJti, keyring, T0)).toEqual({
      ok: false,
      reason: "claim_missing",
    });
  });

  it("only the legacy key verifies tokens without kid", async () => {
    const keyring = await newKeyring();
    const secretOfGeneratedKey = Buffer.from(keyring.keys[0]!.jwk!.k!, "base64url");
    expect(await createVerifier().verify(legacyToken(secretOfGeneratedKey), keyring, T0)).toEqual({
      ok: false,
      reason: "kid_missing",
    });
  });
});
