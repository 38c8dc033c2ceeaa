/**
 * Why a token was refused: one stable code per refusal, used in metrics, logs and answers. The
 * descriptions are the documentation (docs/verification.md repeats them; a test keeps both equal).
 */
export const REFUSAL_REASONS = {
  token_too_large: "the token is longer than the configured maximum; refused before parsing",
  malformed: "not a compact JWS of three base64url parts with a JSON object header and payload",
  header_not_allowed:
    "the header carries jwk, jku, x5u, x5c, x5t, x5t#S256, crit, b64 or zip: keys are never taken from the token",
  alg_not_allowed: "the header's alg is not the algorithm of the key its kid names (or is none)",
  kid_invalid: "the kid is not a string of 1 to 64 characters A-Z a-z 0-9 _ -",
  kid_missing: "the token has no kid and no imported legacy key verifies tokens without one",
  unknown_kid: "no key with this kid is in the keyring",
  key_retired: "the key that signed the token is retired or destroyed",
  key_compromised:
    "the key that signed the token was retired by an emergency rotation, or a key rule (`revoke --kid`) names it",
  signature_invalid: "the signature does not match the header and payload",
  type_mismatch: "the header's typ is not the expected token type",
  claim_missing: "a required claim (exp, iat, jti) is absent",
  claim_invalid:
    "a claim has the wrong type (exp, nbf, iat must be numbers; jti, sub, iss strings)",
  expired: "exp is in the past, beyond the clock tolerance",
  lifetime_exceeded:
    "exp - iat (without iat: exp - now) is longer than the maximum token lifetime, beyond the clock tolerance: revocation cut-offs would lapse before the token",
  not_yet_valid: "nbf or iat is in the future, beyond the clock tolerance",
  issuer_mismatch: "iss is not exactly the configured issuer",
  audience_mismatch: "aud does not contain the configured audience",
} as const;

export type RefusalReason = keyof typeof REFUSAL_REASONS;
