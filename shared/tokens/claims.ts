import type { RefusalReason } from "./refusal.ts";

/** The registered claims keyward relies on, after validation, plus every other claim as sent. */
export interface TokenClaims {
  readonly [claim: string]: unknown;
  readonly exp: number;
  readonly iat?: number;
  readonly nbf?: number;
  readonly jti?: string;
  readonly sub?: string;
  readonly iss?: string;
  readonly aud?: string | readonly string[];
}

export interface ClaimExpectations {
  /** Seconds of clock skew allowed on exp, nbf and iat. */
  readonly clockToleranceSeconds: number;
  readonly issuer?: string;
  readonly audience?: string;
  /** Tokens issued by keyward carry jti and iat; only legacy tokens may lack them. */
  readonly requireIssuedClaims: boolean;
  /**
   * The policy's maximum token lifetime: a longer-lived token would outlive the revocation
   * cut-offs that match it, so it is refused whatever its signature.
   */
  readonly maxLifetimeSeconds: number;
}

export type ClaimsResult =
  | { readonly ok: true; readonly claims: TokenClaims }
  | { readonly ok: false; readonly reason: RefusalReason };

const MAX_JTI_LENGTH = 256;

/**
 * Validates a payload whose signature has already been checked. Pure: the time is an argument.
 * Types first, then time, then issuer and audience, so every malformed claim is reported as such.
 */
export function validateClaims(
  payload: Record<string, unknown>,
  nowMs: number,
  expect: ClaimExpectations,
): ClaimsResult {
  const { exp, iat, nbf, jti, sub, iss, aud } = payload;
  if (exp === undefined) return refuse("claim_missing");
  if (expect.requireIssuedClaims && (iat === undefined || jti === undefined)) {
    return refuse("claim_missing");
  }
  if (!isNumericDate(exp) || (iat !== undefined && !isNumericDate(iat)))
    return refuse("claim_invalid");
  if (nbf !== undefined && !isNumericDate(nbf)) return refuse("claim_invalid");
  if (jti !== undefined && (typeof jti !== "string" || jti === "" || jti.length > MAX_JTI_LENGTH)) {
    return refuse("claim_invalid");
  }
  if (sub !== undefined && typeof sub !== "string") return refuse("claim_invalid");
  if (iss !== undefined && typeof iss !== "string" && expect.issuer === undefined) {
    return refuse("claim_invalid");
  }

  const now = nowMs / 1000;
  const tolerance = expect.clockToleranceSeconds;
  if (exp <= now - tolerance) return refuse("expired");
  // Without iat the token was issued now at the latest: exp can lie no further ahead than that.
  const lifetime = iat === undefined ? exp - now : exp - iat;
  if (lifetime > expect.maxLifetimeSeconds + tolerance) return refuse("lifetime_exceeded");
  if (
    (nbf !== undefined && nbf > now + tolerance) ||
    (iat !== undefined && iat > now + tolerance)
  ) {
    return refuse("not_yet_valid");
  }
  if (expect.issuer !== undefined && iss !== expect.issuer) return refuse("issuer_mismatch");
  if (expect.audience !== undefined && !hasAudience(aud, expect.audience)) {
    return refuse("audience_mismatch");
  }
  return { ok: true, claims: payload as TokenClaims };
}

function isNumericDate(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

function hasAudience(aud: unknown, expected: string): boolean {
  if (typeof aud === "string") return aud === expected;
  return Array.isArray(aud) && aud.some((entry) => entry === expected);
}

function refuse(reason: RefusalReason): ClaimsResult {
  return { ok: false, reason };
}
