import type { TokenFacts } from "../revocation/rules.ts";

/** How refresh tokens live. Defaults: 7 days idle, 30 days absolute, 10 s grace. */
export interface RefreshSettings {
  /** A refresh token unused this long expires (its family with it). */
  readonly idleMs: number;
  /** A family ends this long after its login, however it is used. */
  readonly absoluteMs: number;
  /**
   * A used token presented again this soon, while its successor is still the live token, gets
   * that same successor, however many times (tabs, retries: not theft). 0–60 s.
   */
  readonly graceMs: number;
  /**
   * When the rule that revokes a reused family's access tokens may lapse, in seconds since the
   * epoch, given the reuse instant in milliseconds (every access token of the family is expired).
   */
  readonly accessRuleExpiry: (nowMs: number) => number;
}

/**
 * A family's keys outlive its absolute expiry, and a token's its idle expiry, by this much, so
 * that a refresh in that day is told `refresh_token_expired` or `refresh_token_idle_expired` (log
 * in again) rather than `refresh_token_unknown`.
 */
export const EXPIRED_FAMILY_KEPT_MS = 86_400_000;

export const DEFAULT_REFRESH = {
  idleMs: 7 * 86_400_000,
  absoluteMs: 30 * 86_400_000,
  graceMs: 10_000,
} as const;

/** What a family re-issues access tokens with: fixed at login. */
export interface FamilyGrant {
  readonly familyId: string;
  readonly sub: string;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly audience?: string;
  readonly lifetimeSeconds: number;
  /** The issuing client's name (endpoint) or undefined (library). */
  readonly client?: string;
}

export interface NewFamily extends FamilyGrant {
  readonly userAgent?: string;
  /**
   * The revocation facts of the family's access tokens (sub, claims with `fid`): a cut-off that
   * would refuse them ends the family too.
   */
  readonly facts: TokenFacts;
}

/** Why a refresh was refused: each its own code (and a 401). */
export const REFRESH_REFUSALS = {
  refresh_token_malformed: "not a keyward refresh token",
  refresh_token_unknown: "no such refresh token (never issued, or its family has ended)",
  refresh_token_idle_expired: "the refresh token was not used within the idle lifetime",
  refresh_token_expired: "the family reached its absolute lifetime: log in again",
  refresh_token_revoked: "the family was revoked (subject, claim, all, family, or after a reuse)",
  refresh_token_reused: "a used refresh token was presented again: the family is revoked",
} as const;
export type RefreshRefusal = keyof typeof REFRESH_REFUSALS;

export type RotateOutcome =
  | { readonly kind: "rotated" | "retried"; readonly grant: FamilyGrant }
  | {
      readonly kind: "refused";
      readonly reason: Exclude<RefreshRefusal, "refresh_token_malformed">;
      /** Known once the token was found: for the journal and the event, never the token. */
      readonly familyId?: string;
      readonly sub?: string;
    };

/** A live family, as `keyward families` lists it. Never a token or a digest. */
export interface Family {
  readonly familyId: string;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly lastUsedAt: string;
  readonly expiresAt: string;
  readonly client?: string;
  readonly userAgent?: string;
}

/** @deprecated The former name of `Family`; it goes in the next minor version. */
export type Session = Family;

/**
 * Where refresh-token families live. Each call is one atomic step (one round trip to Upstash):
 * a failure leaves the store as it was, never a token used without its successor. Throws
 * `StoreUnavailable` when the store cannot answer.
 */
export interface RefreshStore {
  /** Stores a new family and its first token (by digest). */
  create(
    family: NewFamily,
    digest: string,
    nowMs: number,
    settings: RefreshSettings,
  ): Promise<void>;
  /**
   * Uses the token of `digest`: its successor (`successorDigest`) becomes the family's live token,
   * or, for a used token, a retry within the grace, or the family's revocation. With `client`
   * (the issuing endpoint's caller), a family issued to another client (or by the library) is
   * `refresh_token_unknown` and nothing is written: one client cannot use up, or learn the state
   * of, another's tokens. Without it (the library, which holds the keyring), any family.
   */
  rotate(
    digest: string,
    successorDigest: string,
    nowMs: number,
    settings: RefreshSettings,
    client?: string,
  ): Promise<RotateOutcome>;
  /** The subject's live (unrevoked, unexpired) families, oldest first. */
  families(sub: string, nowMs: number): Promise<Family[]>;
}
