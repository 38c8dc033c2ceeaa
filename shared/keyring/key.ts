import type { JWK } from "jose";

/** Algorithms a key can have. A key's algorithm is fixed for its whole life. */
export const ALGORITHMS = ["HS256", "ES256", "EdDSA", "RS256", "A256GCM"] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** Keys that sign and verify tokens (the signing keyring). */
export const SIGNING_ALGORITHMS = ["HS256", "ES256", "EdDSA", "RS256"] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/**
 * Keys that seal and open session data (`keyward/sessions`, the sessions keyring): AES-256-GCM.
 * Same lifecycle as signing keys; they never sign, and a keyring holds one kind only.
 */
export const ENCRYPTION_ALGORITHMS = ["A256GCM"] as const;

export function isEncryption(alg: Algorithm): alg is "A256GCM" {
  return alg === "A256GCM";
}

/** The lifecycle of DESIGN.md: pending → current → previous → retired → destroyed. */
export const KEY_STATUSES = ["pending", "current", "previous", "retired", "destroyed"] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

/** Statuses whose keys verify tokens. */
export type VerifyingStatus = "pending" | "current" | "previous";

export function isVerifying(status: KeyStatus): status is VerifyingStatus {
  return status === "pending" || status === "current" || status === "previous";
}

/**
 * `kid`s are random and URL-safe. Checked on every key we load and on every token header before
 * it is used as a map key, so path separators, quotes, NUL or 10 kB of text never go further.
 */
export const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface KeyRecord {
  readonly kid: string;
  readonly alg: Algorithm;
  readonly status: KeyStatus;
  /** The key as a JWK: `oct` for HMAC, the private JWK for asymmetric keys. Absent once destroyed. */
  readonly jwk?: JWK;
  readonly createdAt: number;
  /** When the key last became `current`. */
  readonly activatedAt?: number;
  /** When the key last stopped being `current` (start of its grace period as `previous`). */
  readonly deactivatedAt?: number;
  readonly retiredAt?: number;
  readonly destroyedAt?: number;
  /** Set by an emergency rotation: the key can never verify again, nor be reinstated. */
  readonly compromised: boolean;
  /** Imported from a legacy single-secret system: also verifies tokens without `kid`/`jti`. */
  readonly legacy: boolean;
  /**
   * Verifies, never signs: a legacy secret too short to sign with (under 32 bytes). It is never
   * `current` or `pending`, and a rollback never picks it.
   */
  readonly verifyOnly?: true;
  /**
   * A key held in AWS KMS (`KMS_ALGORITHMS`): `jwk` is its public half only, and it signs through
   * KMS's `Sign` alone; its private key exists nowhere else.
   */
  readonly kms?: { readonly arn: string };
}

/** Algorithms a key held in AWS KMS signs with: ES256 on P-256, RS256 on RSA 2048. */
export const KMS_ALGORITHMS = ["ES256", "RS256"] as const;
export type KmsAlgorithm = (typeof KMS_ALGORITHMS)[number];

export function isKmsAlgorithm(alg: string): alg is KmsAlgorithm {
  return (KMS_ALGORITHMS as readonly string[]).includes(alg);
}

/** An AWS KMS key's ARN, as `CreateKey` answers it. */
export const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]{1,128}$/;

const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

/** Whether two JWKs have the same public half (the members that say which key it is). */
export function samePublicKey(a: JWK | undefined, b: JWK | undefined): boolean {
  const members = ["kty", "crv", "x", "y", "n", "e"] as const;
  return a !== undefined && b !== undefined && members.every((m) => a[m] === b[m]);
}

/** The public half of an asymmetric key, as served in a JWKS. HMAC and sealing keys have none. */
export function publicJwk(key: KeyRecord): JWK | undefined {
  if (key.alg === "HS256" || isEncryption(key.alg) || key.jwk === undefined) return undefined;
  const pub: Record<string, unknown> = { ...key.jwk };
  for (const member of PRIVATE_JWK_MEMBERS) delete pub[member];
  return { ...pub, kid: key.kid, alg: key.alg, use: "sig" } as JWK;
}
