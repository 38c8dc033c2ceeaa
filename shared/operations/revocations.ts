import type { AuditEntry } from "../audit/journal.ts";
import type { KeywardEvent } from "../events/events.ts";
import { afterInstant, SECOND } from "../kernel/clock.ts";
import { isVerifying } from "../keyring/key.ts";
import type { Keyring } from "../keyring/keyring.ts";
import type { RotationPolicy } from "../keyring/policy.ts";
import type { RevocationTarget } from "../revocation/rules.ts";
import type { RevokeOptions, RevokeResult } from "../revocation/store.ts";
import type { TokenClaims } from "../tokens/claims.ts";
import { createVerifier } from "../tokens/verifier.ts";
import { complete, intend, newChangeId } from "./change.ts";
import type { OperationDeps, OperationResult, Request } from "./deps.ts";
import { type Refused, refusal } from "./refusals.ts";

/** How a revocation is named in the journal and in events: never the token itself. */
export function describeTarget(target: RevocationTarget): string {
  switch (target.kind) {
    case "token":
      return `jti:${target.jti}`;
    case "subject":
      return `sub:${target.sub}`;
    case "claim":
      return `claim:${target.name}=${target.value}`;
    case "all":
      return "all";
    case "kid":
      return `kid:${target.kid}`;
  }
}

/**
 * Records revocations (one result per target; refused when the store took none), journals and
 * publishes them. Cut-offs are the
 * instant of the write, to the millisecond; the answer waits until the clock has left it. The
 * change is intended in the journal first, so a crash after the write still journals it.
 */
export async function revoke(
  deps: OperationDeps,
  request: Request & {
    readonly targets: readonly RevocationTarget[];
    /** The keyring the caller loaded already (a batch checking tokens), to read it once. */
    readonly keyring?: Keyring;
  },
): Promise<OperationResult<readonly RevokeResult[]>> {
  // Revoking must work while Secrets Manager fails: not knowing whether a legacy key verifies,
  // the cut-offs are kept (deny on doubt; a kept cut-off costs a few bytes).
  const loaded =
    request.keyring === undefined ? deps.keyrings.load() : Promise.resolve(request.keyring);
  const options = await loaded.then(
    (keyring) => cutoffOptions(keyring, deps.policy),
    (): RevokeOptions => ({ cutoffsUntil: "forever" }),
  );
  const now = deps.clock.now();
  const intended = await intend(deps, newChangeId(deps), {
    ...revocationRecord(request, now, request.targets.length),
    proof: { kind: "revocations", atMs: now, targets: request.targets, options },
  });
  const results = await deps.revocations.revoke(request.targets, now, options);
  const done = results.filter((r) => r.ok).length;
  const record = revocationRecord(request, now, done);
  await complete(deps, intended, {
    entry: { ...record.entry, result: done === 0 ? "failed" : "ok" },
    events: done > 0 ? record.events : [],
  });
  await afterInstant(deps.clock, now);
  if (done === 0)
    return refusal(
      "store_unavailable",
      "the revocation store did not take the revocation; try again",
    );
  return { ok: true, value: results };
}

/**
 * Tokens of an imported legacy key may have no `iat`: a cut-off refuses them all, and must last
 * as long as the key verifies. A current legacy key may verify for as long as nobody rotates, so
 * cut-offs are then kept; a previous one verifies until its maximum grace is over.
 */
export function cutoffOptions(keyring: Keyring | undefined, policy: RotationPolicy): RevokeOptions {
  const legacy = keyring?.keys.find((k) => k.legacy && isVerifying(k.status));
  if (legacy === undefined) return {};
  if (legacy.status !== "previous" || legacy.deactivatedAt === undefined)
    return { cutoffsUntil: "forever" };
  return {
    cutoffsUntil: Math.ceil(
      (legacy.deactivatedAt + policy.maxGraceMs + policy.keyringCacheTtlMs) / SECOND,
    ),
  };
}

/** The journal entry and event of revocations, `done` of them in force. */
export function revocationRecord(
  request: Request & { readonly targets: readonly RevocationTarget[] },
  now: number,
  done: number,
): { entry: Omit<AuditEntry, "result">; events: KeywardEvent[] } {
  const at = new Date(now).toISOString();
  const single = request.targets.length === 1 ? request.targets[0] : undefined;
  return {
    entry: {
      at,
      actor: request.actor,
      action: request.targets.length === 1 ? "revoke" : "revoke.batch",
      target: single === undefined ? `${request.targets.length} items` : describeTarget(single),
      reason: request.reason,
      details: {
        items: request.targets.length,
        revoked: done,
        failed: request.targets.length - done,
      },
    },
    events: [
      {
        type: "TokensRevoked",
        at,
        detail: {
          items: done,
          kinds: [...new Set(request.targets.map((t) => t.kind))],
          reason: request.reason,
          actor: request.actor,
          ...(single === undefined ? {} : { target: describeTarget(single) }),
        },
      },
    ],
  };
}

/** A revocation as asked for: a rule, or a token still to be checked. */
export type RevocationRequest =
  | RevocationTarget
  | { readonly kind: "by-token"; readonly token: string };

/** Nothing to revoke: the token or key no longer verifies anyway. */
export interface Spent {
  readonly ok: true;
  readonly noop: string;
}

/** A token sent for revocation, checked: keyward's own and valid, spent already, or refused. */
export type InspectedToken = { readonly ok: true; readonly claims: TokenClaims } | Spent | Refused;

/** A revocation request made concrete: the rule to write, nothing to do, or refused. */
export type ResolvedRevocation =
  | { readonly ok: true; readonly target: RevocationTarget }
  | Spent
  | Refused;

/**
 * What revoking decides before anything is written: a token sent to be revoked must be this
 * keyring's own (signature first), and a key rule is only for a key that signs no more.
 */
export interface RevocationResolver {
  inspect(token: string, keyring: Keyring): Promise<InspectedToken>;
  /** `keyring` is read only for a token or a kid. */
  resolve(request: RevocationRequest, keyring: () => Promise<Keyring>): Promise<ResolvedRevocation>;
}

export function revocationResolver(
  deps: Pick<OperationDeps, "clock" | "timing">,
): RevocationResolver {
  const verifier = createVerifier({
    cacheSize: 0,
    clockToleranceSeconds: deps.timing.clockToleranceSeconds,
    maxLifetimeSeconds: deps.timing.maxTokenLifetimeSeconds,
  });
  const inspect = async (token: string, keyring: Keyring): Promise<InspectedToken> => {
    const checked = await verifier.verify(token, keyring, deps.clock.now());
    if (checked.ok) return { ok: true, claims: checked.claims };
    if (checked.reason === "expired") return { ok: true, noop: "the token has expired already" };
    if (checked.reason === "key_retired" || checked.reason === "key_compromised")
      return { ok: true, noop: "the token's key no longer verifies" };
    return refusal("not_revocable", `not a token signed by this keyring (${checked.reason})`);
  };
  return {
    inspect,
    async resolve(request, keyring) {
      if (request.kind === "kid") return keyTarget(request.kid, await keyring());
      if (request.kind !== "by-token") return { ok: true, target: request };
      const inspected = await inspect(request.token, await keyring());
      if (!inspected.ok || !("claims" in inspected)) return inspected;
      const { claims } = inspected;
      if (typeof claims.jti !== "string")
        return refusal(
          "not_revocable",
          "this token has no jti (a legacy token): revoke its subject instead",
        );
      return {
        ok: true,
        target: {
          kind: "token",
          jti: claims.jti,
          exp: claims.exp,
          ...(typeof claims.iss === "string" ? { iss: claims.iss } : {}),
        },
      };
    },
  };
}

/**
 * A key rule refuses every token of the key, in every verifier, whatever its cached keyring says.
 * Only for a key that signs no more (previous or retired): on a key that signs or is about to
 * (current, pending) it would refuse every login from then on; an emergency rotation is the way
 * to stop such a key.
 */
function keyTarget(kid: string, keyring: Keyring): ResolvedRevocation {
  const key = keyring.keys.find((k) => k.kid === kid);
  if (key === undefined) return refusal("not_revocable", `no key ${kid} in the keyring`);
  if (key.status === "destroyed")
    return { ok: true, noop: "the key is destroyed: nothing verifies with it" };
  if (key.status === "current" || key.status === "pending")
    return refusal(
      "not_revocable",
      `key ${kid} is ${key.status} and signs new tokens; rotate --immediate to replace it and refuse its tokens`,
    );
  return { ok: true, target: { kind: "kid", kid } };
}
