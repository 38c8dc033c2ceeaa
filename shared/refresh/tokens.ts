import { createHash, createHmac, randomBytes } from "node:crypto";

/**
 * keyward's refresh tokens: `kwrt_` and 43 base64url characters (256 bits). Opaque (never a JWT),
 * with a prefix secret scanners can match (`kwrt_[A-Za-z0-9_-]{43}`).
 */
export const REFRESH_TOKEN_PREFIX = "kwrt_";
const SHAPE = /^kwrt_[A-Za-z0-9_-]{43}$/;

export function isRefreshTokenShaped(value: unknown): value is string {
  return typeof value === "string" && SHAPE.test(value);
}

/** A family's first refresh token: 256 random bits. */
export function newRefreshToken(): string {
  return REFRESH_TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/**
 * The token that follows `parent`: an HMAC of it under the family secret. Deriving it (rather than
 * drawing it) lets a retry of the parent within the grace window get the same successor back
 * while only digests are stored: no refresh token is ever kept in the clear.
 */
export function successorOf(parent: string, secret: Uint8Array): string {
  return REFRESH_TOKEN_PREFIX + createHmac("sha256", secret).update(parent).digest("base64url");
}

/** What the store keeps of a refresh token: its SHA-256, hex. */
export function refreshDigest(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A family id: 128 random bits, base64url. Access tokens carry it as `fid`. */
export function newFamilyId(): string {
  return randomBytes(16).toString("base64url");
}
