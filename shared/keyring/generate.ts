import { exportJWK, generateKeyPair } from "jose";
import { encodeBase64url } from "../kernel/base64url.ts";
import type { RandomSource } from "../kernel/random.ts";
import { AES_KEY_BYTES, MIN_HMAC_BYTES } from "./invariants.ts";
import type { Algorithm, KeyRecord } from "./key.ts";

/** 128 random bits, base64url: never derived from the material, safe in URLs and headers. */
export function newKid(random: RandomSource): string {
  return encodeBase64url(random.bytes(16));
}

/**
 * A fresh `pending` key. HS256 and A256GCM material is 32 bytes from `random`; key pairs come
 * from WebCrypto.
 */
export async function generateKey(
  alg: Algorithm,
  now: number,
  random: RandomSource,
): Promise<KeyRecord> {
  const kid = newKid(random);
  const jwk =
    alg === "A256GCM"
      ? { kty: "oct", k: encodeBase64url(random.bytes(AES_KEY_BYTES)) }
      : alg === "HS256"
        ? { kty: "oct", k: encodeBase64url(random.bytes(MIN_HMAC_BYTES)) }
        : await exportJWK(
            (
              await generateKeyPair(alg, {
                extractable: true,
                ...(alg === "RS256" ? { modulusLength: 2048 } : {}),
              })
            ).privateKey,
          );
  return { kid, alg, status: "pending", jwk, createdAt: now, compromised: false, legacy: false };
}
