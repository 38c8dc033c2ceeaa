import type { AuditEntry } from "../audit/journal.ts";
import type { KeywardEvent } from "../events/events.ts";
import { afterInstant, SECOND } from "../kernel/clock.ts";
import { isVerifying } from "../keyring/key.ts";
import type { Keyring } from "../keyring/keyring.ts";
import type { RotationPolicy } from "../keyring/policy.ts";
import type { RevocationTarget } from "../revocation/rules.ts";
import type { RevokeOptions, RevokeResult } from "../revocation/store.ts";
import { complete, intend, newChangeId } from "./changes.ts";
import type { OperationDeps, Request } from "./deps.ts";

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
 * Records revocations (one result per target), journals and publishes them. Cut-offs are the
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
): Promise<RevokeResult[]> {
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
  return results;
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
