import { describe, expect, it } from "vitest";
import { type ClaimExpectations, validateClaims } from "../../../../shared/tokens/claims.ts";

const NOW_MS = 1_800_000_000_000;
const now = NOW_MS / 1000;
const expect0: ClaimExpectations = {
  clockToleranceSeconds: 5,
  requireIssuedClaims: true,
  maxLifetimeSeconds: 86_400,
};
const valid = { sub: "a", jti: "j", iat: now - 10, exp: now + 60 };

describe("validateClaims", () => {
  it("accepts a complete payload and returns it", () => {
    expect(validateClaims(valid, NOW_MS, expect0)).toEqual({ ok: true, claims: valid });
  });

  it("allows exp and nbf within the tolerance, not beyond", () => {
    expect(validateClaims({ ...valid, exp: now - 4 }, NOW_MS, expect0).ok).toBe(true);
    expect(validateClaims({ ...valid, exp: now - 5 }, NOW_MS, expect0)).toEqual({
      ok: false,
      reason: "expired",
    });
    expect(validateClaims({ ...valid, nbf: now + 5 }, NOW_MS, expect0).ok).toBe(true);
    expect(validateClaims({ ...valid, nbf: now + 6 }, NOW_MS, expect0)).toEqual({
      ok: false,
      reason: "not_yet_valid",
    });
  });

  it("refuses a token that lives longer than the maximum lifetime, with or without iat", () => {
    const day = 86_400;
    expect(validateClaims({ ...valid, exp: valid.iat + day + 5 }, NOW_MS, expect0).ok).toBe(true);
    expect(validateClaims({ ...valid, exp: valid.iat + 10 * day }, NOW_MS, expect0)).toEqual({
      ok: false,
      reason: "lifetime_exceeded",
    });
    const legacy = { ...expect0, requireIssuedClaims: false };
    expect(validateClaims({ exp: now + day }, NOW_MS, legacy).ok).toBe(true);
    expect(validateClaims({ exp: now + 7 * day }, NOW_MS, legacy)).toEqual({
      ok: false,
      reason: "lifetime_exceeded",
    });
  });

  it("needs only exp from legacy tokens", () => {
    const legacy = { ...expect0, requireIssuedClaims: false };
    expect(validateClaims({ exp: now + 60 }, NOW_MS, legacy).ok).toBe(true);
    expect(validateClaims({ sub: "a" }, NOW_MS, legacy)).toEqual({
      ok: false,
      reason: "claim_missing",
    });
  });

  it("refuses wrong types before looking at time", () => {
    for (const bad of [
      { exp: "soon" },
      { exp: Number.NaN },
      { exp: -1 },
      { jti: "" },
      { jti: 7 },
      { sub: 42 },
      { iat: null },
      { jti: "x".repeat(257) },
    ]) {
      expect(validateClaims({ ...valid, ...bad }, NOW_MS, expect0)).toEqual({
        ok: false,
        reason: "claim_invalid",
      });
    }
  });

  it("matches the audience in a string or an array", () => {
    const withAud = { ...expect0, audience: "api" };
    expect(validateClaims({ ...valid, aud: ["web", "api"] }, NOW_MS, withAud).ok).toBe(true);
    expect(validateClaims({ ...valid, aud: "api" }, NOW_MS, withAud).ok).toBe(true);
    expect(validateClaims({ ...valid, aud: ["apis"] }, NOW_MS, withAud)).toEqual({
      ok: false,
      reason: "audience_mismatch",
    });
  });
});
