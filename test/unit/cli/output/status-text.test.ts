import { describe, expect, it } from "vitest";
import { statusText } from "../../../../cli/output/text.ts";

describe("statusText", () => {
  it("names the KMS key holding a key, on a line of its own", () => {
    const text = statusText(
      {
        revision: 3,
        updatedAt: "2026-01-01T00:00:00.000Z",
        retireBelowShare: 0.05,
        keys: [
          {
            kid: "k1",
            alg: "ES256",
            status: "current",
            compromised: false,
            legacy: false,
            kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd",
            createdAt: "2026-01-01T00:00:00.000Z",
            share: null,
            staleSigner: null,
            next: null,
          },
        ],
      },
      "verifications",
    );
    expect(text).toBe(
      "current    k1  ES256 \n           in KMS: arn:aws:kms:eu-west-1:123456789012:key/1234abcd",
    );
  });
});
