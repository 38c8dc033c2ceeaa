/**
 * The direct HS256 paths (`direct.ts` in Node, `direct-webcrypto.ts` at the edge) against jose's
 * `compactVerify`: on every input, the same allow or refusal and the same reason. A generated
 * corpus (valid, tampered, mis-encoded, duplicate-key, oversized, restructured tokens) and the
 * published CVE cases of jsonwebtoken, fast-jwt, jose and PyJWT; ES256 and EdDSA in
 * direct-asymmetric.test.ts; the adversarial suite runs every path too (adversarial.test.ts).
 */
import { createHmac, createPublicKey, generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeBase64url, encodeBase64url } from "../../../../shared/kernel/base64url.ts";
import { importLegacySecret } from "../../../../shared/keyring/import-legacy.ts";
import type { Keyring } from "../../../../shared/keyring/keyring.ts";
import { directNode } from "../../../../shared/tokens/direct.ts";
import { directWebCrypto } from "../../../../shared/tokens/direct-webcrypto.ts";
import { createVerifier, type VerifierOptions } from "../../../../shared/tokens/verifier.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, withPending } from "../../../support/keyrings.ts";
import { encodings, ISSUER, NOW, nowS, payload, text } from "../../../support/token-corpus.ts";

const LEGACY_SECRET = "the-legacy-jwt-secret-of-our-express-app";

let keyring: Keyring;
let kid: string;
let ecKid: string;
let secret: Uint8Array;

beforeAll(async () => {
  // A legacy (imported, no kid) key current, a generated HS256 key... the HMAC paths, and an
  // ES256 key pending, for the algorithm-confusion cases.
  const imported = expectOk(
    importLegacySecret(undefined, LEGACY_SECRET, "utf8", T0 - 1000, seededRandom("direct")),
  );
  const withHs = await withPending(imported, "HS256", T0 - 500, seededRandom("direct-hs"));
  keyring = await withPending(withHs, "ES256", T0 - 400, seededRandom("direct-es"));
  kid = keyring.keys[1]!.kid;
  ecKid = keyring.keys[2]!.kid;
  secret = decodeBase64url(keyring.keys[1]!.jwk!.k)!;
});

const sign = (input: string, key: Uint8Array | string = secret) =>
  encodeBase64url(createHmac("sha256", key).update(input).digest());

/** The WebCrypto path keeps its imported keys: one verifier per set of options. */
const webCryptoVerifiers = new Map<string, ReturnType<typeof createVerifier>>();
const webCryptoVerifier = (options: VerifierOptions) => {
  const name = JSON.stringify(options);
  let verifier = webCryptoVerifiers.get(name);
  if (verifier === undefined) {
    verifier = createVerifier({ ...options, cacheSize: 0, directAsync: directWebCrypto() });
    webCryptoVerifiers.set(name, verifier);
  }
  return verifier;
};

/** Every path on the same token and options, no verified-token cache: their answers must be equal. */
const outcomes = new Map<string, number>();

async function agree(token: string, options: VerifierOptions = {}) {
  const jose = await createVerifier({ ...options, cacheSize: 0 }).verify(token, keyring, NOW);
  const outcome = jose.ok ? "ok" : jose.reason;
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  const direct = await createVerifier({ ...options, cacheSize: 0, direct: directNode() }).verify(
    token,
    keyring,
    NOW,
  );
  expect(direct).toEqual(jose);
  const webCrypto = await webCryptoVerifier(options).verify(token, keyring, NOW);
  expect(webCrypto).toEqual(jose);
  return jose;
}

const header = fc.oneof(
  fc.record(
    {
      alg: fc.constantFrom(
        "HS256",
        "HS256",
        "HS256",
        "HS256",
        "HS256",
        "hs256",
        "none",
        "ES256",
        "HS512",
        256,
      ),
      kid: fc.constantFrom("K", "K", "K", "K", "K", "none", "unknown-kid", 7),
      typ: fc.constantFrom("JWT", "at+jwt", "application/jwt"),
    },
    { requiredKeys: ["alg", "kid"] },
  ),
  fc.constantFrom('{"alg":"none","kid":"K","alg":"HS256"}', '{"alg":"HS256","kid":"K","kid":"x"}'),
);

const json = (value: unknown) =>
  typeof value === "string"
    ? value
    : JSON.stringify(value, (name, v) =>
        name === "kid" && v === "K" ? kid : name === "kid" && v === "none" ? undefined : v,
      );

describe("the direct HS256 paths (Node crypto, WebCrypto) decide as jose does", () => {
  it("on a generated corpus of valid, tampered, mis-encoded, duplicate-key and restructured tokens", async () => {
    await fc.assert(
      fc.asyncProperty(
        header,
        payload,
        encodings,
        encodings,
        fc.oneof(
          { arbitrary: fc.constant("right"), weight: 6 },
          {
            arbitrary: fc.constantFrom("wrong key", "legacy key", "truncated", "random", "none"),
            weight: 3,
          },
        ),
        encodings,
        fc.oneof(
          { arbitrary: fc.constant(undefined), weight: 3 },
          { arbitrary: fc.nat({ max: 400 }), weight: 2 },
        ),
        fc.oneof(
          { arbitrary: fc.constant("three parts"), weight: 8 },
          { arbitrary: fc.constantFrom("four parts", "two parts", "oversized"), weight: 2 },
        ),
        fc.boolean(),
        async (
          h,
          p,
          encodeHeader,
          encodePayload,
          signer,
          encodeSignature,
          flip,
          shape,
          withIssuer,
        ) => {
          const input = `${encodeHeader(text(json(h)))}.${encodePayload(text(json(p)))}`;
          const signatures: Record<string, string> = {
            right: sign(input),
            "wrong key": sign(input, "not-the-key-not-the-key-not-the-key"),
            "legacy key": sign(input, LEGACY_SECRET),
            truncated: sign(input).slice(0, 20),
            random: encodeBase64url(new Uint8Array(32).map((_, i) => i * 7)),
            none: "",
          };
          let token = `${input}.${encodeSignature(signatures[signer] as string)}`;
          if (flip !== undefined && token.length > 0) {
            const at = flip % token.length;
            const swapped = token[at] === "A" ? "B" : "A";
            token = `${token.slice(0, at)}${swapped}${token.slice(at + 1)}`;
          }
          if (shape === "four parts") token = `${token}.${signatures.right}`;
          if (shape === "two parts") token = input;
          if (shape === "oversized") token = `${token}${"A".repeat(9000)}`;
          await agree(token, withIssuer ? { issuer: ISSUER } : {});
        },
      ),
      { numRuns: 10_000 },
    );
    // The corpus reaches every branch of the comparison, not only the first refusals.
    for (const outcome of [
      "ok",
      "signature_invalid",
      "malformed",
      "alg_not_allowed",
      "unknown_kid",
      "token_too_large",
      "expired",
      "issuer_mismatch",
    ])
      expect(outcomes.get(outcome) ?? 0, outcome).toBeGreaterThan(5);
  }, 120_000);

  it("accepts what jose accepts: valid tokens of the generated key and of the legacy key", async () => {
    const claims = { sub: "alice", iat: nowS - 5, exp: nowS + 600, jti: "j1" };
    const input = `${text(JSON.stringify({ alg: "HS256", kid }))}.${text(JSON.stringify(claims))}`;
    expect(await agree(`${input}.${sign(input)}`)).toMatchObject({ ok: true, kid });
    const legacy = `${text('{"alg":"HS256","typ":"JWT"}')}.${text(JSON.stringify({ sub: "bob", iat: nowS, exp: nowS + 60 }))}`;
    expect(await agree(`${legacy}.${sign(legacy, LEGACY_SECRET)}`)).toMatchObject({
      ok: true,
      legacy: true,
    });
    // A signature in the standard alphabet with padding: jose's decoder takes it, so does this.
    const padded = `${sign(input).replaceAll("-", "+").replaceAll("_", "/")}=`;
    expect(await agree(`${input}.${padded}`)).toMatchObject({ ok: true });
  });

  const es = () => {
    const jwk = keyring.keys[2]!.jwk!;
    return createPublicKey({
      key: { kty: "EC", crv: "P-256", x: jwk.x!, y: jwk.y! },
      format: "jwk",
    });
  };
  const cves: [string, () => string, VerifierOptions?][] = [
    // jsonwebtoken CVE-2015-9235 and CVE-2022-23540: "none", with and without a signature.
    [
      "jsonwebtoken CVE-2015-9235: alg none",
      () => `${text(`{"alg":"none","kid":"${kid}"}`)}.${text('{"sub":"root"}')}.`,
    ],
    [
      "jsonwebtoken CVE-2022-23540: alg none without kid",
      () => `${text('{"alg":"none"}')}.${text(`{"sub":"root","iat":${nowS},"exp":${nowS + 60}}`)}.`,
    ],
    // jsonwebtoken CVE-2022-23541, PyJWT CVE-2017-11424, fast-jwt CVE-2023-48223 (PEM with
    // leading whitespace): the asymmetric key's public half used as the HMAC secret.
    [
      "PyJWT CVE-2017-11424: public PEM as the HMAC secret",
      () => {
        const input = `${text(`{"alg":"HS256","kid":"${ecKid}"}`)}.${text(`{"sub":"root","iat":${nowS},"exp":${nowS + 60},"jti":"x"}`)}`;
        return `${input}.${sign(input, es().export({ type: "spki", format: "pem" }).toString())}`;
      },
    ],
    [
      "fast-jwt CVE-2023-48223: public PEM with leading whitespace as the HMAC secret",
      () => {
        const input = `${text(`{"alg":"HS256","kid":"${ecKid}"}`)}.${text(`{"sub":"root","iat":${nowS},"exp":${nowS + 60},"jti":"x"}`)}`;
        return `${input}.${sign(input, `\n  ${es().export({ type: "spki", format: "pem" })}`)}`;
      },
    ],
    [
      "jsonwebtoken CVE-2022-23541: the HMAC key's kid with the public key as secret",
      () => {
        const input = `${text(`{"alg":"HS256","kid":"${kid}"}`)}.${text(`{"sub":"root","iat":${nowS},"exp":${nowS + 60},"jti":"x"}`)}`;
        return `${input}.${sign(input, es().export({ type: "spki", format: "pem" }).toString())}`;
      },
    ],
    // PyJWT CVE-2022-29217: an SSH/OpenSSH-encoded public key as the HMAC secret.
    [
      "PyJWT CVE-2022-29217: an OpenSSH ed25519 key as the HMAC secret",
      () => {
        const ssh = generateKeyPairSync("ed25519").publicKey.export({
          type: "spki",
          format: "der",
        });
        const input = `${text(`{"alg":"HS256","kid":"${kid}"}`)}.${text(`{"sub":"root","iat":${nowS},"exp":${nowS + 60},"jti":"x"}`)}`;
        return `${input}.${sign(input, `ssh-ed25519 ${ssh.toString("base64")}`)}`;
      },
    ],
    // PyJWT CVE-2024-53861: an issuer that only contains the expected one.
    [
      "PyJWT CVE-2024-53861: a partial issuer",
      () => {
        const input = `${text(`{"alg":"HS256","kid":"${kid}"}`)}.${text(`{"sub":"a","iat":${nowS},"exp":${nowS + 60},"jti":"x","iss":"_${ISSUER}_"}`)}`;
        return `${input}.${sign(input)}`;
      },
      { issuer: ISSUER },
    ],
    // jose CVE-2022-21449 ("psychic signatures", r = s = 0) under the HMAC key's kid and alg.
    [
      "CVE-2022-21449: an all-zero signature",
      () => {
        const input = `${text(`{"alg":"HS256","kid":"${kid}"}`)}.${text(`{"sub":"a","iat":${nowS},"exp":${nowS + 60},"jti":"x"}`)}`;
        return `${input}.${encodeBase64url(new Uint8Array(32))}`;
      },
    ],
    // Signature malleability: the right signature with non-canonical trailing bits.
    [
      "a right signature with non-canonical last character (accepted by both: the same bytes)",
      () => {
        const input = `${text(`{"alg":"HS256","kid":"${kid}"}`)}.${text(`{"sub":"a","iat":${nowS},"exp":${nowS + 60},"jti":"x"}`)}`;
        const signature = sign(input);
        const last =
          signature.at(-1) === "A"
            ? "B"
            : String.fromCharCode(signature.charCodeAt(signature.length - 1) + 1);
        return `${input}.${signature.slice(0, -1)}${last}`;
      },
    ],
  ];

  it.each(cves)("%s", async (name, make, options) => {
    const decision = await agree(make(), options ?? {});
    // jose's decoder (atob) ignores a signature's non-canonical trailing bits: the same bytes,
    // the same signature. Every other case is an attack and is refused.
    expect(decision.ok).toBe(name.includes("accepted by both"));
  });
});
