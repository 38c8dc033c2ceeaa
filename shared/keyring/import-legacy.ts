import { encodeBase64url } from "../base64url.ts";
import type { RandomSource } from "../random.ts";
import { newKid } from "./generate.ts";
import { MIN_HMAC_BYTES } from "./invariants.ts";
import { isVerifying, type KeyRecord } from "./key.ts";
import type { Keyring } from "./keyring.ts";
import { createKeyring, promote, type TransitionResult } from "./transitions.ts";

/**
 * How the legacy system used its secret. `utf8` is what `jsonwebtoken` and SimpleJWT do with a
 * string secret (the UTF-8 bytes of the string, whatever it looks like); `base64` and `hex` decode
 * it first, for systems that did so themselves.
 */
export const SECRET_ENCODINGS = ["utf8", "base64", "hex"] as const;
export type SecretEncoding = (typeof SECRET_ENCODINGS)[number];

export type DecodedSecret =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly message: string };

export function decodeLegacySecret(secret: string, encoding: SecretEncoding): DecodedSecret {
  let bytes: Uint8Array;
  switch (encoding) {
    case "utf8":
      bytes = new TextEncoder().encode(secret);
      break;
    case "hex":
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(secret)) {
        return { ok: false, message: "secret is not hex (pairs of 0-9, a-f)" };
      }
      bytes = Uint8Array.from(secret.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
      break;
    case "base64": {
      const normalized = secret.replace(/-/g, "+").replace(/_/g, "/");
      if (
        !/^[A-Za-z0-9+/]*={0,2}$/.test(normalized) ||
        normalized.replace(/=+$/, "").length % 4 === 1
      ) {
        return { ok: false, message: "secret is not base64" };
      }
      const padded = normalized.padEnd(Math.ceil(normalized.length / 4) * 4, "=");
      bytes = Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
      break;
    }
  }
  if (bytes.length < MIN_HMAC_BYTES) {
    return {
      ok: false,
      message: `secret is ${bytes.length} bytes once decoded as ${encoding}; HS256 keys need at least ${MIN_HMAC_BYTES}: rotate to a generated key instead`,
    };
  }
  return { ok: true, bytes };
}

/**
 * Migration: the legacy secret becomes the `current` key at once (tokens signed with it exist
 * already, so there is nothing to pre-publish). It alone also verifies the legacy system's tokens
 * (no `kid`, no `jti`) while it is current or previous.
 */
export function importLegacySecret(
  keyring: Keyring | undefined,
  secret: string,
  encoding: SecretEncoding,
  now: number,
  random: RandomSource,
): TransitionResult {
  const decoded = decodeLegacySecret(secret, encoding);
  if (!decoded.ok) return { ok: false, code: "secret_invalid", message: decoded.message };
  const key: KeyRecord = {
    kid: newKid(random),
    alg: "HS256",
    status: "pending",
    jwk: { kty: "oct", k: encodeBase64url(decoded.bytes) },
    createdAt: now,
    compromised: false,
    legacy: true,
  };
  if (keyring === undefined) return { ok: true, keyring: createKeyring(key, now) };
  const existing = keyring.keys.find((k) => k.legacy && isVerifying(k.status));
  if (existing !== undefined) {
    return {
      ok: false,
      code: "legacy_key_exists",
      message: `key ${existing.kid} is an imported legacy secret that still verifies; retire it first`,
    };
  }
  return { ok: true, keyring: promote(keyring, key, now) };
}
