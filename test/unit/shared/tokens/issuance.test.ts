import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64url } from "../../../../shared/kernel/base64url.ts";
import { earliestIssuanceMs, timeOrderedJti } from "../../../../shared/tokens/issuance.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";

describe("issuance instant in the jti", () => {
  const random = seededRandom("issuance");
  const at = T0 + 12_345;

  it("carries the issuance millisecond in a 22-character base64url jti", () => {
    const jti = timeOrderedJti(at, random);
    expect(jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(earliestIssuanceMs({ iat: Math.floor(at / 1000), jti })).toBe(at);
  });

  it("gives distinct jtis within one millisecond", () => {
    const jtis = new Set(Array.from({ length: 1000 }, () => timeOrderedJti(at, random)));
    expect(jtis.size).toBe(1000);
  });

  it("falls back to the start of the iat second when the jti's instant is not in that second", () => {
    const jti = timeOrderedJti(at, random);
    // A token whose iat disagrees with its jti (another signer, a random jti): deny on doubt.
    expect(earliestIssuanceMs({ iat: Math.floor(at / 1000) + 1, jti })).toBe(
      (Math.floor(at / 1000) + 1) * 1000,
    );
    expect(earliestIssuanceMs({ iat: 1_767_225_600, jti: "0123456789abcdefghijkl" })).toBe(
      1_767_225_600_000,
    );
    expect(earliestIssuanceMs({ iat: 1_767_225_600.7, jti: "legacy-uuid" })).toBe(
      1_767_225_600_000,
    );
  });

  it("has no earliest instant without iat: every cut-off applies", () => {
    expect(earliestIssuanceMs({ jti: timeOrderedJti(at, random) })).toBe(Number.NEGATIVE_INFINITY);
    expect(earliestIssuanceMs({ iat: "1767225600" })).toBe(Number.NEGATIVE_INFINITY);
  });

  it("reads the instant of any jti as decoding it whole would: its first 6 bytes, only for base64url", () => {
    const decoded = (jti: string) => {
      const bytes = decodeBase64url(jti);
      if (bytes === undefined || bytes.length !== 16) return undefined;
      return bytes.slice(0, 6).reduce((time, byte) => time * 256 + byte, 0);
    };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: fc.constantFrom(..."ABCxyz019-_"), minLength: 22, maxLength: 22 }),
          fc.string({ minLength: 20, maxLength: 24 }),
          fc.constant(timeOrderedJti(T0, seededRandom("jti"))),
        ),
        fc.integer({ min: 0, max: 2_000_000_000 }),
        fc.boolean(),
        (jti, random, inItsSecond) => {
          const exact = decoded(jti);
          const iat = inItsSecond && exact !== undefined ? Math.floor(exact / 1000) : random;
          const expected =
            exact !== undefined && Math.floor(exact / 1000) === iat ? exact : iat * 1000;
          expect(earliestIssuanceMs({ iat, jti })).toBe(expected);
        },
      ),
    );
  });
});
