import { SECOND } from "../kernel/clock.ts";
import { earliestIssuanceMs } from "../tokens/issuance.ts";

/**
 * The revocation rules of DESIGN.md, independent of storage. A revocation is a key (where the
 * rule is stored) and a value (the cut-off or revocation instant, in milliseconds). A check maps a
 * token to the few keys that could revoke it, reads them all at once, and evaluates the values.
 */
export type RevocationTarget =
  | { readonly kind: "token"; readonly iss?: string; readonly jti: string; readonly exp: number }
  | { readonly kind: "subject"; readonly sub: string }
  | { readonly kind: "claim"; readonly name: string; readonly value: string }
  | { readonly kind: "all" }
  | { readonly kind: "kid"; readonly kid: string };

export type RevocationRule = RevocationTarget["kind"];

/** What a check needs to know about a verified token. */
export interface TokenFacts {
  readonly iss?: string;
  readonly jti?: string;
  readonly sub?: string;
  /** The key that verified the token (not the header's word: the key the verifier chose). */
  readonly kid?: string;
  /**
   * The earliest instant the token may have been issued, in milliseconds (`earliestIssuanceMs`):
   * exact for keyward's tokens, the start of the `iat` second for others. Absent (legacy tokens
   * without `iat`): any cut-off applies (deny on doubt).
   */
  readonly issuedAtMs?: number;
  /** Every claim, for claim rules (`role=admin`). */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** One rule that refuses a token, and when it was written (milliseconds). */
export interface AppliedRule {
  readonly rule: RevocationRule;
  /** When the rule was written, in milliseconds: a cut-off refuses tokens issued up to it. */
  readonly sinceMs: number;
}

export type RevocationStatus =
  | { readonly revoked: false }
  | (AppliedRule & {
      readonly revoked: true;
      /**
       * Every rule that applies, the one named above first: an outright rule (a token's, a key's)
       * before any cut-off, then cut-offs latest first (the latest refuses the most).
       */
      readonly applying: readonly AppliedRule[];
    });

export interface RevocationTiming {
  /** Cut-off entries (subject, claim, all) live this long: every token issued before has expired by then. */
  readonly maxTokenLifetimeSeconds: number;
  /** Token entries outlive the token's exp by the verifiers' clock tolerance. */
  readonly clockToleranceSeconds: number;
  /**
   * How long a verifier may keep using a keyring it loaded: the keyring cache TTL plus the stale
   * bound (last good keyring served while Secrets Manager fails). A key rule outlives this plus a
   * token's lifetime, so no verifier can still hold the key as verifying when it lapses.
   * Default 960 (60 s + 15 min, the verifiers' defaults).
   */
  readonly keyringHoldSeconds?: number;
  /**
   * The absolute lifetime of refresh-token families (default 0: none issued). Cut-offs outlive it
   * too: a family's refresh checks its subject's, claims' and the global cut-off against the
   * instant its live token was issued, which may be that long ago.
   */
  readonly refreshLifetimeSeconds?: number;
}

/** Claims that are never matched by claim rules: registered claims and the token's own identity. */
export const NOT_CLAIM_RULES: ReadonlySet<string> = new Set(["exp", "iat", "nbf", "jti", "sub"]);

/** The storage key of a rule, under `prefix`. Lengths make the encoding unambiguous. */
export function revocationKey(prefix: string, target: RevocationTarget): string {
  switch (target.kind) {
    case "token": {
      const iss = target.iss ?? "";
      return `${prefix}rv:t:${iss.length}:${iss}:${target.jti}`;
    }
    case "subject":
      return `${prefix}rv:s:${target.sub}`;
    case "claim":
      return `${prefix}rv:c:${target.name.length}:${target.name}=${target.value}`;
    case "all":
      return `${prefix}rv:all`;
    case "kid":
      return `${prefix}rv:k:${target.kid}`;
  }
}

/**
 * When a rule's entry expires, in seconds since the epoch (Infinity: never). A cut-off outlives
 * every token it can match: issued by now, such a token lives at most the maximum lifetime (plus
 * the tolerance verifiers give the lifetime) and is accepted until its exp plus the tolerance.
 * `cutoffsUntil` (seconds) keeps cut-offs longer: while an imported legacy key verifies, its tokens
 * may have no `iat`, and a cut-off is all that refuses them.
 */
export function expiresAt(
  target: RevocationTarget,
  nowSeconds: number,
  timing: RevocationTiming,
  cutoffsUntil: number | "forever" = 0,
): number {
  if (target.kind === "token") return target.exp + timing.clockToleranceSeconds;
  const lifetime = nowSeconds + timing.maxTokenLifetimeSeconds + 2 * timing.clockToleranceSeconds;
  if (target.kind === "kid") return lifetime + (timing.keyringHoldSeconds ?? 960);
  if (cutoffsUntil === "forever") return Number.POSITIVE_INFINITY;
  return Math.max(lifetime, nowSeconds + (timing.refreshLifetimeSeconds ?? 0), cutoffsUntil);
}

export interface Lookup {
  readonly keys: readonly string[];
  readonly rules: readonly { readonly rule: RevocationRule; readonly cutoff: boolean }[];
}

/** The keys to read for one token, however many rules exist: one read covers them all. */
export function lookupFor(prefix: string, facts: TokenFacts): Lookup {
  const keys: string[] = [revocationKey(prefix, { kind: "all" })];
  const rules: { rule: RevocationRule; cutoff: boolean }[] = [{ rule: "all", cutoff: true }];
  if (facts.jti !== undefined) {
    keys.push(
      revocationKey(prefix, { kind: "token", jti: facts.jti, exp: 0, ...optionalIss(facts.iss) }),
    );
    rules.push({ rule: "token", cutoff: false });
  }
  if (facts.kid !== undefined) {
    keys.push(revocationKey(prefix, { kind: "kid", kid: facts.kid }));
    rules.push({ rule: "kid", cutoff: false });
  }
  if (facts.sub !== undefined) {
    keys.push(revocationKey(prefix, { kind: "subject", sub: facts.sub }));
    rules.push({ rule: "subject", cutoff: true });
  }
  for (const [name, value] of claimValues(facts.claims)) {
    keys.push(revocationKey(prefix, { kind: "claim", name, value }));
    rules.push({ rule: "claim", cutoff: true });
  }
  return { keys, rules };
}

/**
 * Evaluates the values read for a lookup. A token or key entry revokes outright; a cut-off revokes
 * tokens issued before it or in its very millisecond (deny on doubt: the order within one
 * millisecond is unknown; the ops API answers only once its clock has left that millisecond, so a
 * login after the answer is always later). A value that is not a number is treated as a revocation
 * now: a corrupt entry must not let a token through.
 */
export function evaluate(
  lookup: Lookup,
  values: readonly unknown[],
  facts: TokenFacts,
): RevocationStatus {
  const issued = facts.issuedAtMs ?? Number.NEGATIVE_INFINITY;
  const outright: AppliedRule[] = [];
  const cutoffs: AppliedRule[] = [];
  for (let i = 0; i < lookup.rules.length; i++) {
    const raw = values[i];
    if (raw === null || raw === undefined) continue;
    const sinceMs = storedInstantMs(Number(raw));
    const { rule, cutoff } = lookup.rules[i] as Lookup["rules"][number];
    if (!Number.isFinite(sinceMs))
      return {
        revoked: true,
        rule,
        sinceMs: Number.NaN,
        applying: [{ rule, sinceMs: Number.NaN }],
      };
    if (!cutoff) outright.push({ rule, sinceMs });
    else if (issued <= sinceMs) cutoffs.push({ rule, sinceMs });
  }
  const applying = [...outright, ...cutoffs.sort((a, b) => b.sinceMs - a.sinceMs)];
  const first = applying[0];
  return first === undefined ? { revoked: false } : { revoked: true, ...first, applying };
}

/**
 * Entries written before cut-offs had millisecond resolution hold whole seconds and meant "issued
 * in that second or before": they read as the last millisecond of that second. A millisecond value is above
 * 10^11 (any instant after March 1973); a seconds value is below it until the year 5138.
 */
export const SECONDS_ENTRY_BELOW = 1e11;

export function storedInstantMs(value: number): number {
  return value < SECONDS_ENTRY_BELOW ? (value + 1) * SECOND - 1 : value;
}

/**
 * The (name, value) pairs of a token that claim rules can match: scalars and arrays of scalars.
 * All of them, uncapped: a skipped value would let a revoked claim through (tokens are size-capped).
 */
export function claimValues(claims: Readonly<Record<string, unknown>>): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(claims)) {
    if (NOT_CLAIM_RULES.has(name)) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === "string" || typeof item === "number" || typeof item === "boolean") {
        pairs.push([name, String(item)]);
      }
    }
  }
  return pairs;
}

function optionalIss(iss: string | undefined): { iss?: string } {
  return iss === undefined ? {} : { iss };
}

/**
 * Facts only a key rule can match, for what keyward seals (sessions have no subject, no claims, no
 * issuance instant): issued after every cut-off, so neither `all` nor any other cut-off applies,
 * while the key rule an emergency writes for `kid` does.
 */
export function keyRuleFacts(kid: string): TokenFacts {
  return { kid, claims: {}, issuedAtMs: Number.POSITIVE_INFINITY };
}

/** The facts revocation rules look at, from a verified token's claims and the key that verified it. */
export function factsOf(claims: Readonly<Record<string, unknown>>, kid?: string): TokenFacts {
  const { iss, jti, sub } = claims;
  const issuedAtMs = earliestIssuanceMs(claims);
  // Field by field rather than by spreads: this runs on every request, and each spread of a
  // conditional object allocates one.
  const facts: { -readonly [F in keyof TokenFacts]: TokenFacts[F] } = { claims };
  if (typeof iss === "string") facts.iss = iss;
  if (typeof jti === "string") facts.jti = jti;
  if (typeof sub === "string") facts.sub = sub;
  if (kid !== undefined) facts.kid = kid;
  if (Number.isFinite(issuedAtMs)) facts.issuedAtMs = issuedAtMs;
  return facts;
}
