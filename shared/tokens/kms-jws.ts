import { UsageError } from "../kernel/errors.ts";
import type { KeyRecord } from "../keyring/key.ts";
import { jwsSegment } from "./hmac-jws.ts";

/** Where a key held in KMS signs: `KmsKeys.sign` (the JWS signing input in, `r‖s` out). */
export interface KmsSigning {
  sign(keyArn: string, signingInput: string): Promise<string>;
}

/** A compact JWS whose ES256 signature KMS made: the private key never leaves it. */
export async function kmsJws(
  key: KeyRecord,
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
  kms: KmsSigning | undefined,
): Promise<string> {
  if (key.kms === undefined || key.alg !== "ES256")
    throw new UsageError(`key ${key.kid} is not an ES256 key held in KMS`);
  if (kms === undefined)
    throw new UsageError(`key ${key.kid} is held in KMS: the signer needs the kms option`);
  const input = `${jwsSegment(header)}.${jwsSegment(payload)}`;
  return `${input}.${await kms.sign(key.kms.arn, input)}`;
}
