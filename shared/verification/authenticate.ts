import { type Clock, MINUTE } from "../kernel/clock.ts";
import type { VerifyingStatus } from "../keyring/key.ts";
import type { RevocationCheck } from "../revocation/guard.ts";
import { factsOf, type RevocationRule } from "../revocation/rules.ts";
import type { TokenClaims } from "../tokens/claims.ts";
import type { RefusalReason } from "../tokens/refusal.ts";
import { signedByStaleSigner } from "../tokens/stale-signer.ts";
import type { TokenVerifier } from "../tokens/verifier.ts";
import type { UsageOutcome } from "../usage/counts.ts";
import type { KeyringCache } from "./keyring-cache.ts";

/** Refusals beyond the token's own: no token, the keyring or the revocation store failing, revoked. */
export type AuthRefusal =
  | RefusalReason
  | "token_missing"
  | "keyring_unavailable"
  | "revoked"
  | "store_unavailable";

export const AUTH_REFUSALS_BEYOND_TOKEN = {
  token_missing: "the request carries no token where one was expected (header, cookie)",
  keyring_unavailable:
    "no keyring could be loaded, or the last good one is older than the stale limit",
  revoked: "a revocation rule (token, subject, claim or all) applies to the token",
  store_unavailable:
    "the revocation store did not answer within its budget, and the failure mode is closed",
} as const;

export interface Authenticated {
  readonly ok: true;
  readonly claims: TokenClaims;
  readonly kid: string;
  readonly keyStatus: VerifyingStatus;
  readonly legacy: boolean;
  /** Issued after its key stopped signing (plus the time signers take to follow): see `signedByStaleSigner`. */
  readonly staleSigner: boolean;
  /** The keyring served was older than its TTL because reloading failed. */
  readonly staleKeyring: boolean;
  readonly keyringAgeMs: number;
  /** The revocation store did not answer and the failure mode is open: allowed without a check. */
  readonly revocationUnchecked: boolean;
  /** How long the revocation check took (the store's round trip, or its time budget). */
  readonly revocationMs: number;
}

export interface Refused {
  readonly ok: false;
  readonly reason: AuthRefusal;
  readonly rule?: RevocationRule;
  /**
   * Known when the signature checked out (the key that signed the refused token), and for an
   * unexpired token of a retired or compromised key (the key it names).
   */
  readonly kid?: string;
  readonly keyStatus?: VerifyingStatus;
  readonly keyringAgeMs?: number;
  readonly staleKeyring?: boolean;
  /** Set when the revocation store was asked. */
  readonly revocationMs?: number;
}

export type AuthResult = Authenticated | Refused;

/**
 * What a result adds to the usage figures: an allowed token counts for its key; an unexpired token
 * refused because its key was retired or compromised counts against that key (the journal's
 * "refused because of this rotation"); every other refusal counts for nothing.
 */
export function usageOf(
  result: AuthResult,
): { readonly kid: string; readonly outcome: UsageOutcome } | undefined {
  if (result.ok)
    return { kid: result.kid, outcome: result.staleSigner ? "stale-signer" : "verified" };
  if (
    result.kid !== undefined &&
    (result.reason === "key_retired" || result.reason === "key_compromised")
  ) {
    return { kid: result.kid, outcome: "refused" };
  }
  return undefined;
}

export interface AuthenticatorDeps {
  readonly keyrings: KeyringCache;
  readonly verifier: TokenVerifier;
  readonly revocations: RevocationCheck;
  readonly clock: Clock;
  /**
   * How long after a key stops signing a token of it still counts as signed by a signer that
   * followed: the signers' keyring cache TTL plus a margin. Default 2 minutes.
   */
  readonly signerFollowMs?: number;
}

/**
 * One verification path for every verifier: keyring (cached), then signature and claims, then
 * revocation on every request (never cached). A token naming an unknown kid reloads the keyring
 * once (rate-limited by the cache) and is verified again.
 */
export function createAuthenticator(
  deps: AuthenticatorDeps,
): (token: string | undefined) => Promise<AuthResult> {
  return async (token) => {
    if (token === undefined || token === "") return { ok: false, reason: "token_missing" };
    let read = await deps.keyrings.get();
    if (!read.ok) return { ok: false, reason: read.reason };
    let verified = await deps.verifier.verify(token, read.keyring, deps.clock.now());
    if (
      !verified.ok &&
      verified.reason === "unknown_kid" &&
      (await deps.keyrings.reloadForUnknownKid())
    ) {
      const reread = await deps.keyrings.get();
      if (reread.ok) {
        read = reread;
        verified = await deps.verifier.verify(token, read.keyring, deps.clock.now());
      }
    }
    const keyring = { keyringAgeMs: read.ageMs, staleKeyring: read.stale };
    if (!verified.ok) {
      const { reason, kid } = verified;
      return { ok: false, reason, ...(kid === undefined ? {} : { kid }), ...keyring };
    }

    const { claims, kid, keyStatus, legacy } = verified;
    const started = performance.now();
    const outcome = await deps.revocations(factsOf(claims, kid));
    const revocationMs = performance.now() - started;
    if (!outcome.allowed) {
      return {
        ok: false,
        // A key rule (written by an emergency) says what a fresh keyring would say: the key is
        // compromised, whatever this verifier's cached keyring still holds.
        reason:
          outcome.status === "revoked" && outcome.rule === "kid"
            ? "key_compromised"
            : outcome.status,
        ...(outcome.status === "revoked" ? { rule: outcome.rule } : {}),
        kid,
        keyStatus,
        ...keyring,
        revocationMs,
      };
    }
    const key = read.keyring.keys.find((k) => k.kid === kid);
    return {
      ok: true,
      claims,
      kid,
      keyStatus,
      legacy,
      staleSigner:
        key !== undefined &&
        signedByStaleSigner(key, claims, legacy, deps.signerFollowMs ?? 2 * MINUTE),
      ...keyring,
      revocationUnchecked: outcome.status === "store_unavailable",
      revocationMs,
    };
  };
}
