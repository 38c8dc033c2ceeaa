import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from "node:crypto";
import { base64url } from "jose";
import { decodeBase64url } from "../kernel/base64url.ts";
import type { KeyRecord } from "../keyring/key.ts";
import type { Hs256Check } from "./verifier.ts";

/**
 * HS256 verification without WebCrypto, for verifiers running in Node (the authorizer): one
 * synchronous HMAC over the signing input with the key's cached `KeyObject`, a constant-time
 * compare, then the payload's bytes, deciding exactly as jose's `compactVerify` does once the
 * verifier has chosen the key and checked the header (the differential tests hold it to that):
 * the segments are decoded with jose's own base64url decoder, a signature that does not decode
 * is `malformed`, one that does not match is `signature_invalid` (checked before the payload is
 * decoded, as jose does), a payload that does not decode is `malformed`. WebCrypto's HMAC costs a
 * thread-pool round trip per token; this is what makes a first-seen token cheap.
 */
export function directHs256(): Hs256Check {
  const keys = new WeakMap<KeyRecord, KeyObject>();
  const keyOf = (key: KeyRecord): KeyObject | undefined => {
    let object = keys.get(key);
    if (object === undefined) {
      const secret = decodeBase64url(key.jwk?.k);
      if (secret === undefined || secret.length === 0) return undefined;
      object = createSecretKey(secret);
      keys.set(key, object);
    }
    return object;
  };
  return (token, key) => {
    const secret = keyOf(key);
    if (secret === undefined) return { ok: false, reason: "signature_invalid" };
    const first = token.indexOf(".");
    const second = token.indexOf(".", first + 1);
    let signature: Uint8Array;
    try {
      signature = base64url.decode(token.slice(second + 1));
    } catch {
      return { ok: false, reason: "malformed" };
    }
    const expected = createHmac("sha256", secret).update(token.slice(0, second)).digest();
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected))
      return { ok: false, reason: "signature_invalid" };
    try {
      return { ok: true, payload: base64url.decode(token.slice(first + 1, second)) };
    } catch {
      return { ok: false, reason: "malformed" };
    }
  };
}
