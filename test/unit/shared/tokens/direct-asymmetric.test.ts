/**
 * The direct ES256 and EdDSA path (`direct.ts`, Node's crypto) against jose's `compactVerify`: on a
 * generated corpus of valid, tampered, re-encoded and wrong-key signatures, the same allow or
 * refusal and the same reason; and the published psychic-signature case.
 */
import { webcrypto } from "node:crypto";
import fc from "fast-check";
import { generateKeyPair, importJWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeBase64url } from "../../../../shared/kernel/base64url.ts";
import type { Keyring } from "../../../../shared/keyring/keyring.ts";
import { directNode } from "../../../../shared/tokens/direct.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { newKeyring, withPending } from "../../../support/keyrings.ts";
import { encodings, NOW, nowS, payload, text } from "../../../support/token-corpus.ts";

const json = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

describe("the direct ES256 and EdDSA paths decide as jose does", () => {
  let asymmetric: Keyring;
  const signers: Record<"ES256" | "EdDSA", { kid: string; key: webcrypto.CryptoKey }> = {} as never;
  const wrongKeys: Partial<Record<"ES256" | "EdDSA", webcrypto.CryptoKey>> = {};

  beforeAll(async () => {
    const es = await newKeyring("ES256", T0 - 1000, seededRandom("direct-es256"));
    asymmetric = await withPending(es, "EdDSA", T0 - 500, seededRandom("direct-eddsa"));
    for (const [index, alg] of [
      [0, "ES256"],
      [1, "EdDSA"],
    ] as const) {
      const record = asymmetric.keys[index]!;
      signers[alg] = {
        kid: record.kid,
        key: (await importJWK(record.jwk!, alg)) as webcrypto.CryptoKey,
      };
      wrongKeys[alg] = (await generateKeyPair(alg, { extractable: false })).privateKey;
    }
  });

  async function agreeOn(token: string) {
    const jose = await createVerifier({ cacheSize: 0 }).verify(token, asymmetric, NOW);
    const direct = await createVerifier({ cacheSize: 0, direct: directNode() }).verify(
      token,
      asymmetric,
      NOW,
    );
    expect(direct).toEqual(jose);
    return jose;
  }

  it("on a generated corpus of valid, tampered, re-encoded and wrong-key signatures", async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("ES256", "EdDSA") as fc.Arbitrary<"ES256" | "EdDSA">,
        payload,
        fc.constantFrom("right", "right", "right", "wrong key", "DER", "truncated", "doubled"),
        encodings,
        fc.oneof(
          { arbitrary: fc.constant(undefined), weight: 3 },
          { arbitrary: fc.nat({ max: 400 }), weight: 2 },
        ),
        async (alg, p, signer, encodeSignature, flip) => {
          const { kid: keyKid, key } = signers[alg];
          const input = `${text(JSON.stringify({ alg, kid: keyKid }))}.${text(json(p))}`;
          const data = new TextEncoder().encode(input);
          const params = alg === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "Ed25519" };
          const raw = new Uint8Array(await webcrypto.subtle.sign(params, key, data));
          const wrong = new Uint8Array(
            await webcrypto.subtle.sign(params, wrongKeys[alg] as webcrypto.CryptoKey, data),
          );
          const signatures: Record<string, Uint8Array> = {
            right: raw,
            "wrong key": wrong,
            // An ASN.1 DER ECDSA signature where JWS wants r ‖ s: both refuse it.
            DER: Uint8Array.from([
              0x30,
              raw.length + 4,
              0x02,
              raw.length / 2,
              ...raw.slice(0, raw.length / 2),
              0x02,
              raw.length / 2,
              ...raw.slice(raw.length / 2),
            ]),
            truncated: raw.slice(0, raw.length - 1),
            doubled: Uint8Array.from([...raw, ...raw]),
          };
          let token = `${input}.${encodeSignature(encodeBase64url(signatures[signer] as Uint8Array))}`;
          if (flip !== undefined) {
            const at = flip % token.length;
            token = `${token.slice(0, at)}${token[at] === "A" ? "B" : "A"}${token.slice(at + 1)}`;
          }
          const decision = await agreeOn(token);
          const outcome = decision.ok ? "ok" : decision.reason;
          seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
        },
      ),
      { numRuns: 3_000 },
    );
    for (const outcome of ["ok", "signature_invalid", "malformed"])
      expect(seen.get(outcome) ?? 0, outcome).toBeGreaterThan(5);
  }, 120_000);

  it("refuses the psychic signature (CVE-2022-21449: r = s = 0) as jose does", async () => {
    const { kid: keyKid } = signers.ES256;
    const input = `${text(JSON.stringify({ alg: "ES256", kid: keyKid }))}.${text(JSON.stringify({ sub: "a", iat: nowS, exp: nowS + 60, jti: "x" }))}`;
    const decision = await agreeOn(`${input}.${encodeBase64url(new Uint8Array(64))}`);
    expect(decision).toMatchObject({ ok: false, reason: "signature_invalid" });
  });
});
