import { UsageError } from "../kernel/errors.ts";
import { isKmsAlgorithm, type KeyRecord, type KmsAlgorithm } from "../keyring/key.ts";
import { jwsSegment } from "./hmac-jws.ts";

/** Where a key held in KMS signs: `KmsKeys.sign` (the JWS signing input in, its signature out). */
export interface KmsSigning {
  sign(keyArn: string, signingInput: string, alg: KmsAlgorithm): Promise<string>;
}

/** A compact JWS whose signature KMS made: the private key never leaves it. */
export async function kmsJws(
  key: KeyRecord,
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
  kms: KmsSigning | undefined,
): Promise<string> {
  if (key.kms === undefined || !isKmsAlgorithm(key.alg))
    throw new UsageError(`key ${key.kid} is not a key held in KMS`);
  if (kms === undefined)
    throw new UsageError(`key ${key.kid} is held in KMS: the signer needs the kms option`);
  const input = `${jwsSegment(header)}.${jwsSegment(payload)}`;
  return `${input}.${await kms.sign(key.kms.arn, input, key.alg)}`;
}
