import { describe, expect, it } from "vitest";
import { MINUTE } from "../../../../shared/kernel/clock.ts";
import type { KeyRecord } from "../../../../shared/keyring/key.ts";
import { signedByStaleSigner } from "../../../../shared/tokens/stale-signer.ts";
import { T0 } from "../../../support/deterministic.ts";

const key = (fields: Partial<KeyRecord>): KeyRecord => ({
  kid: "k",
  alg: "HS256",
  status: "previous",
  createdAt: T0,
  compromised: false,
  legacy: false,
  ...fields,
});
const issuedAt = (ms: number) => ({ iat: Math.floor(ms / 1000) });
const FOLLOW = 2 * MINUTE;

describe("signedByStaleSigner", () => {
  it("flags a token issued with a previous key later than it stopped signing plus the follow time", () => {
    const previous = key({ deactivatedAt: T0 + MINUTE });
    expect(signedByStaleSigner(previous, issuedAt(T0 + 2 * MINUTE), false, FOLLOW)).toBe(false);
    expect(signedByStaleSigner(previous, issuedAt(T0 + 4 * MINUTE), false, FOLLOW)).toBe(true);
    expect(
      signedByStaleSigner(key({ status: "current" }), issuedAt(T0 + 99 * MINUTE), false, FOLLOW),
    ).toBe(false);
  });

  it("flags a token in the legacy shape issued with the imported secret after the import", () => {
    const legacy = key({ status: "current", legacy: true });
    expect(signedByStaleSigner(legacy, issuedAt(T0 - MINUTE), true, FOLLOW)).toBe(false);
    expect(signedByStaleSigner(legacy, issuedAt(T0 + 3 * MINUTE), true, FOLLOW)).toBe(true);
    // keyward's own tokens of that key carry a kid: they are signed through keyward.
    expect(signedByStaleSigner(legacy, issuedAt(T0 + 3 * MINUTE), false, FOLLOW)).toBe(false);
  });

  it("proves nothing from a token without iat", () => {
    expect(signedByStaleSigner(key({ deactivatedAt: T0, legacy: true }), {}, true, FOLLOW)).toBe(
      false,
    );
  });
});
