/**
 * The revocation rules of DESIGN.md, independent of storage. A revocation is a key (where the
 * rule is stored) and a value (the cut-off or revocation time, in whole seconds). A check maps a
 * token to the few keys that could revoke it, reads them all at once, and evaluates the values.
 */
export type RevocationTarget =
  | { readonly kind: "token"; readonly iss?: string; readonly jti: string; readonly exp: number }
  | { readonly kind: "subject"; readonly sub: string }
  | { readonly kind: "claim"; readonly name: string; readonly value: string }
  | { readonly kind: "all" };

export type RevocationRule = RevocationTarget["kind"];

/** What a check needs to know about a verified token. */
export interface TokenFacts {
  readonly iss?: string;
  readonly jti?: string;
  readonly sub?: string;
  /** Seconds. Legacy tokens may lack it: any cut-off then applies (deny on doubt). */
  readonly iat?: number;
  /** Every claim, for claim rules (`role=admin`). */
  readonly claims: Readonly<Record<string, unknown>>;
}

export type RevocationStatus =
  | { readonly revoked: false }
  | { readonly revoked: true; readonly rule: RevocationRule; readonly since: number };

export interface RevocationTiming {
  /** Cut-off entries (subject, claim, all) live this long: every token issued before has expired by then. */
  readonly maxTokenLifetimeSeconds: number;
  /** Token entries outlive the token's exp by the verifiers' clock tolerance. */
  readonly clockToleranceSeconds: number;
}

/** Claims that are never matched by claim rules: registered claims and the token's own identity. */
const NOT_CLAIM_RULES = new Set(["exp", "iat", "nbf", "jti", "sub"]);

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
  }
}

/** When a rule's entry expires, in seconds since the epoch. */
export function expiresAt(
  target: RevocationTarget,
  nowSeconds: number,
  timing: RevocationTiming,
): number {
  if (target.kind === "token") return target.exp + timing.clockToleranceSeconds;
  return nowSeconds + timing.maxTokenLifetimeSeconds + timing.clockToleranceSeconds;
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
 * Evaluates the values read for a lookup. A token entry revokes outright; a cut-off revokes
 * tokens issued at or before it. A value that is not a number is treated as a revocation now:
 * a corrupt entry must not let a token through.
 */
export function evaluate(
  lookup: Lookup,
  values: readonly unknown[],
  facts: TokenFacts,
): RevocationStatus {
  const iat = facts.iat ?? Number.NEGATIVE_INFINITY;
  for (let i = 0; i < lookup.rules.length; i++) {
    const raw = values[i];
    if (raw === null || raw === undefined) continue;
    const since = Number(raw);
    const { rule, cutoff } = lookup.rules[i] as Lookup["rules"][number];
    if (!Number.isFinite(since)) return { revoked: true, rule, since: Number.NaN };
    if (!cutoff || iat <= since) return { revoked: true, rule, since };
  }
  return { revoked: false };
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

/** The facts revocation rules look at, from a verified token's claims. */
export function factsOf(claims: Readonly<Record<string, unknown>>): TokenFacts {
  const { iss, jti, sub, iat } = claims;
  return {
    claims,
    ...(typeof iss === "string" ? { iss } : {}),
    ...(typeof jti === "string" ? { jti } : {}),
    ...(typeof sub === "string" ? { sub } : {}),
    ...(typeof iat === "number" ? { iat } : {}),
  };
}
