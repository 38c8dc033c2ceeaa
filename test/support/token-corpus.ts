/**
 * The generated token parts the differential tests of the direct paths share: payloads (valid,
 * expired, not yet valid, duplicate-key, not JSON) around a fixed `NOW`, and the re-encodings
 * lenient and strict base64url decoders disagree on.
 */
import fc from "fast-check";
import { encodeBase64url } from "../../shared/kernel/base64url.ts";
import { T0 } from "./deterministic.ts";

export const NOW = T0 + 60_000;
export const nowS = NOW / 1000;
export const ISSUER = "https://id.example.com";

/** A string's base64url, as a token segment. */
export const text = (value: string) => encodeBase64url(new TextEncoder().encode(value));

/** A segment's text as written, mostly, or re-encoded the ways lenient and strict decoders disagree on. */
export const encodings = fc.oneof(
  { arbitrary: fc.constant((s: string) => s), weight: 12 },
  {
    arbitrary: fc.constantFrom(
      (s: string) => `${s}${"=".repeat((4 - (s.length % 4)) % 4)}`,
      (s: string) => s.replaceAll("-", "+").replaceAll("_", "/"),
      (s: string) => `${s.slice(0, 3)} ${s.slice(3)}`,
      (s: string) => `${s}\n`,
      (s: string) => s.slice(0, -1),
      (s: string) => `${s}A`,
      (s: string) => `${s}*`,
      (_: string) => "",
    ),
    weight: 4,
  },
);

export const payload = fc.oneof(
  fc.record(
    {
      sub: fc.string({ maxLength: 12 }),
      iat: fc.oneof(
        { arbitrary: fc.integer({ min: nowS - 3600, max: nowS }), weight: 4 },
        { arbitrary: fc.integer({ min: nowS - 90_000, max: nowS + 120 }), weight: 1 },
      ),
      exp: fc.oneof(
        { arbitrary: fc.integer({ min: nowS + 1, max: nowS + 3600 }), weight: 4 },
        { arbitrary: fc.integer({ min: nowS - 60, max: nowS + 90_000 }), weight: 1 },
      ),
      nbf: fc.integer({ min: nowS - 60, max: nowS + 60 }),
      jti: fc.string({ minLength: 1, maxLength: 24 }),
      iss: fc.constantFrom(ISSUER, `${ISSUER}.evil`, "https://id.example"),
      extra: fc.jsonValue({ maxDepth: 3 }),
    },
    { requiredKeys: ["iat", "exp", "jti"] },
  ),
  fc.constantFrom(
    `{"sub":"a","iat":${nowS},"exp":${nowS + 60},"jti":"j","exp":${nowS - 60}}`,
    "[]",
    "null",
    '"a string"',
    "{not json",
    `{"iat":${nowS},"exp":${nowS + 60},"jti":"j","sub":"\\ud800"}`,
  ),
  fc.string().map((pad) => JSON.stringify({ iat: nowS, exp: nowS + 60, jti: "j", pad })),
);
