import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import { ConfigInvalid, UsageError } from "../../../../shared/kernel/errors.ts";
import { setRollout } from "../../../../shared/keyring/transitions.ts";
import { cohortOf } from "../../../../shared/tokens/cohort.ts";
import { createSigner } from "../../../../shared/tokens/signer.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring, withPending } from "../../../support/keyrings.ts";

const random = seededRandom("signer");

describe("createSigner", () => {
  it("puts kid in the header and iat, exp, jti, sub, iss and aud in the payload", async () => {
    const keyring = await newKeyring("ES256");
    const signer = createSigner({
      issuer: "https://id.example",
      audience: "api",
      lifetimeSeconds: 900,
      random,
    });
    const token = await signer.sign(
      keyring,
      { sub: "alice", claims: { role: "admin" } },
      T0 + 1500,
    );
    expect(decodeProtectedHeader(token)).toEqual({
      alg: "ES256",
      kid: keyring.keys[0]!.kid,
      typ: "JWT",
    });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      sub: "alice",
      role: "admin",
      iss: "https://id.example",
      aud: "api",
    });
    expect(claims.iat).toBe(T0 / 1000 + 1);
    expect(claims.exp).toBe((claims.iat as number) + 900);
    expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("gives every token a different jti", async () => {
    const keyring = await newKeyring();
    const signer = createSigner();
    const jtis = new Set<unknown>();
    for (let i = 0; i < 50; i++)
      jtis.add(decodeJwt(await signer.sign(keyring, { sub: "bob" }, T0)).jti);
    expect(jtis.size).toBe(50);
  });

  it("signs tokens that the verifier accepts", async () => {
    for (const alg of ["HS256", "ES256", "EdDSA", "RS256"] as const) {
      const keyring = await newKeyring(alg);
      const token = await createSigner().sign(keyring, { sub: "carol" }, T0);
      expect(await createVerifier().verify(token, keyring, T0 + 1000)).toMatchObject({
        ok: true,
        keyStatus: "current",
      });
    }
  });

  it("signs with the rolling key for the subjects in its cohort only", async () => {
    const published = await withPending(await newKeyring(), "HS256", T0, random);
    const [current, pending] = published.keys.map((k) => k.kid);
    const keyring = expectOk(setRollout(published, pending!, 50, T0));
    const signer = createSigner();
    const subjects = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    for (const sub of subjects) {
      const { kid } = decodeProtectedHeader(await signer.sign(keyring, { sub }, T0));
      expect(kid).toBe(cohortOf(sub) < 50 ? pending : current);
    }
    const onNewKey = subjects.filter((sub) => cohortOf(sub) < 50).length;
    expect(onNewKey).toBeGreaterThan(70);
    expect(onNewKey).toBeLessThan(130);
  });

  it("refuses reserved claims, an empty sub and a lifetime over the maximum", async () => {
    const keyring = await newKeyring();
    const signer = createSigner({ maxLifetimeSeconds: 3600 });
    await expect(signer.sign(keyring, { sub: "a", claims: { exp: 1 } }, T0)).rejects.toThrow(
      UsageError,
    );
    await expect(signer.sign(keyring, { sub: "" }, T0)).rejects.toThrow(
      /sub must be a non-empty string/,
    );
    await expect(signer.sign(keyring, { sub: "a", lifetimeSeconds: 3601 }, T0)).rejects.toThrow(
      /from 1 to 3600/,
    );
  });

  it("checks its options at once", () => {
    expect(() => createSigner({ lifetimeSeconds: 7200, maxLifetimeSeconds: 3600 })).toThrow(
      ConfigInvalid,
    );
  });

  it("cannot sign with a public-only asymmetric key", async () => {
    const keyring = await newKeyring("ES256");
    const { d: _, ...pub } = keyring.keys[0]!.jwk!;
    const publicOnly = { ...keyring, keys: [{ ...keyring.keys[0]!, jwk: pub }] };
    await expect(createSigner().sign(publicOnly, { sub: "a" }, T0)).rejects.toThrow(
      /holds no private material/,
    );
  });
});

describe("cohortOf", () => {
  it("is stable and spreads subjects over 0..99", () => {
    expect(cohortOf("alice")).toBe(cohortOf("alice"));
    const cohorts = new Set(Array.from({ length: 1000 }, (_, i) => cohortOf(`s${i}`)));
    expect(Math.min(...cohorts)).toBe(0);
    expect(Math.max(...cohorts)).toBe(99);
    expect(cohorts.size).toBeGreaterThan(95);
  });
});
