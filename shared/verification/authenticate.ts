import { type Clock, MINUTE } from "../kernel/clock.ts";
import type { VerifyingStatus } from "../keyring/key.ts";
import { findKey } from "../keyring/keyring.ts";
import type { RevocationCheck, RevocationOutcome } from "../revocation/guard.ts";
import { factsOf, type RevocationRule } from "../revocation/rules.ts";
import type { TokenClaims } from "../tokens/claims.ts";
import type { RefusalReason } from "../tokens/refusal.ts";
import { signedByStaleSigner } from "../tokens/stale-signer.ts";
import type { TokenVerifier, Verification } from "../tokens/verifier.ts";
import { consumerOf } from "../usage/consumer.ts";
import type { UsageOutcome } from "../usage/counts.ts";
import type { KeyringCache, KeyringRead } from "./keyring-cache.ts";

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
  /** How long the revocation check took: the store's round trip, its time budget, or 0 from memory. */
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

/** Adds one outcome to the usage figures; `consumer` (`consumerOf`) for an allowed token. */
export type UsageCount = (
  kid: string,
  outcome: UsageOutcome,
  nowMs: number,
  consumer?: string,
) => void;

/**
 * What a result adds to the usage figures, handed to `count` (nothing is built per request): an
 * allowed token counts for its key and the party it was issued for; an unexpired token refused
 * because its key was retired or compromised counts against that key (the journal's "refused
 * because of this rotation"); every other refusal counts for nothing.
 */
export function countUsage(result: AuthResult, count: UsageCount, nowMs: number): void {
  if (result.ok)
    count(
      result.kid,
      result.staleSigner ? "stale-signer" : "verified",
      nowMs,
      consumerOf(result.claims),
    );
  else if (
    result.kid !== undefined &&
    (result.reason === "key_retired" || result.reason === "key_compromised")
  )
    count(result.kid, "refused", nowMs);
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
 * A verifier's decision on a request's token. Given at once when nothing has to be awaited (the
 * usual request: keyring in memory, a signature Node checks at once, a fresh mirror), else as a
 * promise; callers `await` it either way, and the usual request then costs no promise.
 */
export type Authenticate = (token: string | undefined) => AuthResult | Promise<AuthResult>;

/**
 * One verification path for every verifier: keyring (cached), then signature and claims, then
 * revocation on every request (never cached). A token naming an unknown kid reloads the keyring
 * once (rate-limited by the cache) and is verified again. The usual request reads the clock once:
 * the keyring's age, the token's times and the rules' expiries are all judged at that instant.
 */
export function createAuthenticator(deps: AuthenticatorDeps): Authenticate {
  const followMs = deps.signerFollowMs ?? 2 * MINUTE;

  /** The token's verification is known: refused as it is, or on to its revocation check. */
  const afterVerification = (
    read: ReadKeyring,
    verified: Verification,
    nowMs: number,
  ): AuthResult | Promise<AuthResult> => {
    if (!verified.ok) {
      const { reason, kid } = verified;
      return {
        ok: false,
        reason,
        ...(kid === undefined ? {} : { kid }),
        keyringAgeMs: read.ageMs,
        staleKeyring: read.stale,
      };
    }
    const facts = factsOf(verified.claims, verified.kid);
    // Decided from memory: no round trip to time (timing it would cost more than the decision).
    const now = deps.revocations.now(facts, nowMs);
    if (now !== undefined) return decided(read, verified, now, 0);
    const started = performance.now();
    return deps
      .revocations(facts)
      .then((outcome) => decided(read, verified, outcome, performance.now() - started));
  };

  const decided = (
    read: ReadKeyring,
    verified: Verification & { readonly ok: true },
    outcome: RevocationOutcome,
    revocationMs: number,
  ): AuthResult => {
    const { claims, kid, keyStatus, legacy } = verified;
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
        keyringAgeMs: read.ageMs,
        staleKeyring: read.stale,
        revocationMs,
      };
    }
    const key = findKey(read.keyring, kid);
    return {
      ok: true,
      claims,
      kid,
      keyStatus,
      legacy,
      staleSigner: key !== undefined && signedByStaleSigner(key, claims, legacy, followMs),
      keyringAgeMs: read.ageMs,
      staleKeyring: read.stale,
      revocationUnchecked: outcome.status === "store_unavailable",
      revocationMs,
    };
  };

  /**
   * A kid the keyring lacks: reload the keyring (once per cooldown, the cache decides) and verify
   * again on the new one; any other verification goes on as it is.
   */
  const withUnknownKid = async (
    token: string,
    read: ReadKeyring,
    verified: Verification,
  ): Promise<AuthResult> => {
    if (unknownKid(verified) && (await deps.keyrings.reloadForUnknownKid())) {
      const reread = await deps.keyrings.get();
      if (reread.ok) {
        const nowMs = deps.clock.now();
        return afterVerification(
          reread,
          await deps.verifier.verify(token, reread.keyring, nowMs),
          nowMs,
        );
      }
    }
    return afterVerification(read, verified, deps.clock.now());
  };

  /** A keyring to load first (none yet, or one too old to serve while it reloads). */
  const waiting = async (token: string): Promise<AuthResult> => {
    const read = await deps.keyrings.get();
    if (!read.ok) return { ok: false, reason: read.reason };
    return withUnknownKid(
      token,
      read,
      await deps.verifier.verify(token, read.keyring, deps.clock.now()),
    );
  };

  return (token) => {
    if (token === undefined || token === "") return TOKEN_MISSING;
    // The usual request decides without waiting for anything: a keyring in memory, a signature
    // Node checks at once, a fresh mirror of the rules. Anything else takes the waiting path.
    const nowMs = deps.clock.now();
    const read = deps.keyrings.readNow(nowMs);
    if (read === undefined || !read.ok) return waiting(token);
    const verified = deps.verifier.decide(token, read.keyring, nowMs);
    if (verified instanceof Promise)
      // A signature checked with a promise (WebCrypto at the edge): the keyring is still in hand.
      return verified.then((later) =>
        unknownKid(later)
          ? withUnknownKid(token, read, later)
          : afterVerification(read, later, deps.clock.now()),
      );
    if (unknownKid(verified)) return withUnknownKid(token, read, verified);
    return afterVerification(read, verified, nowMs);
  };
}

const TOKEN_MISSING: AuthResult = { ok: false, reason: "token_missing" };

/** A kid the keyring lacks (`withUnknownKid` reloads the keyring and verifies again). */
const unknownKid = (verified: Verification) => !verified.ok && verified.reason === "unknown_kid";

type ReadKeyring = KeyringRead & { readonly ok: true };
