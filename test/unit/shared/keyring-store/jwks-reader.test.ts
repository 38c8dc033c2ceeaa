import { describe, expect, it } from "vitest";
import { JwksReader, JwksReadFailed } from "../../../../shared/keyring-store/jwks-reader.ts";

/** A JWKS server's answer, stubbed: the hostile or broken sets a keyward JWKS never serves. */
const answering = (status: number, body: string) => async () => new Response(body, { status });

const ES256 = { kty: "EC", crv: "P-256", x: "x", y: "y", kid: "es-key", alg: "ES256", use: "sig" };

describe("JwksReader", () => {
  it("takes keyward's kind of public keys, each as a verifying key, and skips every other", async () => {
    const keys = [
      ES256,
      { ...ES256, kid: "with-private", d: "secret" },
      { kty: "oct", k: "c2VjcmV0", kid: "hmac", alg: "HS256" },
      { ...ES256, kid: "../../etc" },
      { ...ES256, kid: "encryption", use: "enc" },
      { ...ES256, kid: "no-alg", alg: undefined },
      "not a key",
    ];
    const reader = new JwksReader({
      url: "https://keys.example/.well-known/jwks.json",
      fetch: answering(200, JSON.stringify({ keys })),
    });
    const keyring = await reader.load();
    expect(keyring.keys.map((k) => [k.kid, k.alg, k.status])).toEqual([
      ["es-key", "ES256", "current"],
    ]);
  });

  it("fails with the host and the kind of failure, never the body", async () => {
    const url = "https://keys.example/.well-known/jwks.json";
    for (const [fetchImpl, expected] of [
      [answering(503, "upstream secret detail"), "JWKS at keys.example answered 503"],
      [answering(200, "<html>secret</html>"), "JWKS at keys.example is not JSON"],
      [answering(200, '{"nokeys": []}'), "JWKS at keys.example has no keys array"],
      [
        async () => {
          throw new TypeError("fetch failed");
        },
        "JWKS at keys.example could not be fetched: TypeError",
      ],
    ] as const) {
      const attempt = new JwksReader({ url, fetch: fetchImpl as typeof fetch }).load();
      await expect(attempt).rejects.toBeInstanceOf(JwksReadFailed);
      await expect(attempt).rejects.toThrow(expected);
    }
  });
});
