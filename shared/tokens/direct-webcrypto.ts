import { base64url, type CryptoKey } from "jose";
import { sextetOf } from "../kernel/base64url.ts";
import type { KeyRecord } from "../keyring/key.ts";
import { CryptoKeyCache } from "./crypto-keys.ts";
import { signatureOf } from "./signature-segment.ts";
import type { DirectResult } from "./verifier.ts";

/** A direct check that waits: WebCrypto's `verify` answers with a promise. */
export type AsyncDirectCheck = (token: string, key: KeyRecord) => Promise<DirectResult> | undefined;

/**
 * HS256 through WebCrypto without jose's wrapping, for verifiers with no Node crypto (the edge
 * inside workerd, where WebCrypto runs inline): the signature decoded at once when it is plain
 * base64url (jose's decoder otherwise, which decides), one `crypto.subtle.verify` with the key's
 * imported `CryptoKey`, then the payload's bytes; the same decisions as jose's `compactVerify`
 * once the verifier has chosen the key and checked the header (the differential tests hold it to
 * that). Other algorithms answer undefined: jose checks them.
 */
export function directWebCrypto(): AsyncDirectCheck {
  const keys = new CryptoKeyCache();
  const encoder = new TextEncoder();
  return (token, key) => {
    if (key.alg !== "HS256") return undefined;
    const first = token.indexOf(".");
    const second = token.indexOf(".", first + 1);
    const signature = signatureOf(token, second, decodeSegment);
    if (signature === undefined) return Promise.resolve({ ok: false, reason: "malformed" });
    const check = async (cryptoKey: CryptoKey): Promise<DirectResult> => {
      const data = encoder.encode(token.slice(0, second));
      if (!(await crypto.subtle.verify("HMAC", cryptoKey, signature as never, data)))
        return { ok: false, reason: "signature_invalid" };
      try {
        return { ok: true, payload: decodeSegment(token.slice(first + 1, second)) };
      } catch {
        return { ok: false, reason: "malformed" };
      }
    };
    const ready = keys.ready(key, "verify");
    return ready !== undefined
      ? check(ready)
      : keys.get(key, "verify").then(check, () => ({ ok: false, reason: "signature_invalid" }));
  };
}

/**
 * A segment's bytes as jose's decoder reads them: plain base64url (its alphabet alone, a length
 * `atob` takes) decoded here, without the copies and rewrites jose's decoder makes; anything else
 * (padding, the standard alphabet, whitespace, stray characters) goes to jose's, which decides.
 */
function decodeSegment(segment: string): Uint8Array {
  const length = segment.length;
  if (length % 4 === 1) return base64url.decode(segment);
  const out = new Uint8Array(Math.floor((length * 3) / 4));
  let bits = 0;
  let held = 0;
  let at = 0;
  for (let i = 0; i < length; i++) {
    const sextet = sextetOf(segment.charCodeAt(i));
    if (sextet < 0) return base64url.decode(segment);
    bits = (bits << 6) | sextet;
    held += 6;
    if (held >= 8) {
      held -= 8;
      out[at++] = (bits >> held) & 0xff;
    }
  }
  return out;
}
