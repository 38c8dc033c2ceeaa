import {
  createHmac,
  createPublicKey,
  createSecretKey,
  type KeyObject,
  timingSafeEqual,
  verify,
} from "node:crypto";
import { base64url } from "jose";
import { BASE64URL_TEXT, decodeBase64url } from "../kernel/base64url.ts";
import type { KeyRecord } from "../keyring/key.ts";
import { signatureOf } from "./signature-segment.ts";
import type { DirectCheck } from "./verifier.ts";

/**
 * Signatures checked without WebCrypto, for verifiers running in Node (the authorizer, the local
 * stack): HS256 by one synchronous HMAC and a constant-time compare, ES256 and EdDSA by one
 * synchronous `crypto.verify`, each with the key's `KeyObject` made once. WebCrypto costs a
 * thread-pool round trip per token; this is what makes a first-seen token cheap. It decides
 * exactly as jose's `compactVerify` does once the verifier has chosen the key and checked the
 * header (the differential tests hold it to that): the segments are decoded with jose's own
 * base64url decoder, a signature that does not decode is `malformed`, one that does not match is
 * `signature_invalid` (checked before the payload is decoded, as jose does), a payload that does
 * not decode is `malformed`. Other algorithms (RS256) answer undefined: jose checks them.
 */
export function directNode(): DirectCheck {
  const keys = new WeakMap<KeyRecord, KeyObject | null>();
  const keyOf = (key: KeyRecord): KeyObject | undefined => {
    let object = keys.get(key);
    if (object === undefined) {
      object = keyObjectOf(key);
      keys.set(key, object);
    }
    return object ?? undefined;
  };
  return (token, key) => {
    if (key.alg !== "HS256" && key.alg !== "ES256" && key.alg !== "EdDSA") return undefined;
    const object = keyOf(key);
    if (object === undefined) return { ok: false, reason: "signature_invalid" };
    const first = token.indexOf(".");
    const second = token.indexOf(".", first + 1);
    const signature = signatureOf(token, second, decodeSegment);
    if (signature === undefined) return { ok: false, reason: "malformed" };
    const input = token.slice(0, second);
    if (!signatureMatches(key.alg, object, input, signature))
      return { ok: false, reason: "signature_invalid" };
    try {
      return { ok: true, payload: decodeSegment(token.slice(first + 1, second)) };
    } catch {
      return { ok: false, reason: "malformed" };
    }
  };
}

/**
 * A segment's bytes, as jose's decoder reads them: a segment of the base64url alphabet alone that
 * `atob` would take (not a length of 1 modulo 4) decodes to the same bytes through Node's own
 * decoder, much faster; anything else (padding, the standard alphabet, whitespace, stray
 * characters) goes to jose's, which decides.
 */
function decodeSegment(segment: string): Uint8Array {
  return segment.length % 4 !== 1 && BASE64URL_TEXT.test(segment)
    ? Buffer.from(segment, "base64url")
    : base64url.decode(segment);
}

function signatureMatches(
  alg: "HS256" | "ES256" | "EdDSA",
  key: KeyObject,
  input: string,
  signature: Uint8Array,
): boolean {
  if (alg === "HS256") {
    const expected = createHmac("sha256", key).update(input).digest();
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  }
  try {
    return alg === "ES256"
      ? verify("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" }, signature)
      : verify(null, Buffer.from(input), key, signature);
  } catch {
    // A signature of the wrong shape: WebCrypto answers false, so does this.
    return false;
  }
}

/** The key's verifying `KeyObject`: the secret of HS256, the public half of ES256 and EdDSA. */
function keyObjectOf(key: KeyRecord): KeyObject | null {
  const jwk = key.jwk;
  if (jwk === undefined) return null;
  if (key.alg === "HS256") {
    const secret = decodeBase64url(jwk.k);
    return secret === undefined || secret.length === 0 ? null : createSecretKey(secret);
  }
  const { kty, crv, x, y } = jwk;
  if (kty === undefined || crv === undefined || x === undefined) return null;
  try {
    return createPublicKey({
      key: { kty, crv, x, ...(y === undefined ? {} : { y }) },
      format: "jwk",
    });
  } catch {
    return null;
  }
}
