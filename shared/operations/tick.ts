import type { EventType, KeywardEvent } from "../events/events.ts";
import { KeyringInvalid } from "../kernel/errors.ts";
import { currentKid, type Keyring } from "../keyring/keyring.ts";
import {
  applyPlan,
  type KeyUsage,
  type LingeringKey,
  lingeringPreviousKey,
  type PolicyAction,
  planTransitions,
  type StaleSigners,
  staleSignerHolds,
} from "../keyring/plan.ts";
import { KmsUnavailable } from "../keyring-store/kms-keys.ts";
import { KeyringConflict, restorePrevious } from "../keyring-store/store.ts";
import type { JwksConsumerLog } from "../receipts/jwks-consumer.ts";
import { type PropagationHold, propagationHold, readEvidence } from "../receipts/propagation.ts";
import { NAMED_AT_MOST } from "../receipts/receipt.ts";
import type { ReceiptReader } from "../receipts/store.ts";
import { StoreUnavailable } from "../revocation/store.ts";
import type { UsageStore } from "../usage/counts.ts";
import { newKeyOnce, reconcileCustody } from "./custody.ts";
import { labelEntry, labelEvent, type OperationDeps } from "./deps.ts";
import { recoverChanges } from "./recovery.ts";
import { activationSelfTest } from "./self-test.ts";

/**
 * Where the grace gate's figures come from: verifications per kid over the last day, and tokens
 * from stale signers over the last hour (the migration guard).
 */
export type UsageSource = Pick<UsageStore, "verificationsByKid"> &
  Partial<Pick<UsageStore, "staleSignersByKid">>;

/** No figures: the grace gate then holds previous keys to the maximum grace. */
export const noUsage: UsageSource = { verificationsByKid: async () => undefined };

/**
 * `lingering`: a previous key past its minimum grace still verifies tokens (see
 * `lingeringPreviousKey`). `propagation`: a pending key's first signing waits for every live
 * verifier to hold it.
 */
interface Held {
  readonly lingering?: LingeringKey;
  readonly propagation?: {
    readonly kid: string;
    readonly live: number;
    readonly held: number;
    readonly waitingSeconds: number;
    readonly incomplete: boolean;
  };
}

export type TickOutcome =
  | ({ readonly status: "idle" } & Held)
  | ({
      readonly status: "applied";
      readonly actions: readonly PolicyAction[];
      readonly revision: number;
    } & Held)
  | { readonly status: "conflict" }
  /**
   * A keyring not created yet (`keyward init`, or an import): nothing to do, and no alarm on a
   * fresh stack; verifiers refuse every token until it exists.
   */
  | { readonly status: "absent" }
  | { readonly status: "failed"; readonly reason: string };

const EVENT_OF: Record<PolicyAction["type"], EventType | undefined> = {
  publish: "KeyCreated",
  activate: "KeyActivated",
  retire: "KeyRetired",
  destroy: "KeyDestroyed",
  rollout: undefined,
};

/**
 * What a tick reads besides the keyring: the usage figures, and the live verifiers' receipts and
 * the JWKS's consumers where they are kept (without receipts, a pending key signs once its
 * pre-publication period ends).
 */
export type TickDeps = OperationDeps & {
  readonly usage: UsageSource;
  readonly receipts?: ReceiptReader;
  readonly jwksConsumers?: Pick<JwksConsumerLog, "recent">;
};

/**
 * One run of the rotation function: finish the changes a crash left unjournaled, read the keyring,
 * the usage figures and the receipts, apply what the policy says is due (as one revision), commit,
 * and self-test any activation against the keyring as stored. A pending key's first signing waits
 * until every live verifier holds it; past the maximum wait it raises `PropagationIncomplete`
 * naming the laggards, and still waits (an operator may `keyward activate --force`). Safe to
 * repeat: at the same instant a second tick finds nothing due; two racing ticks leave one winner
 * (the other sees a conflict); a keyring that cannot be read is left untouched. Even when nothing
 * is due, the stored keyring is saved again, which only repairs (deletes the material of destroyed
 * keys and of abandoned writes).
 */
export async function tick(deps: TickDeps, now: number): Promise<TickOutcome> {
  const at = new Date(now).toISOString();
  const fail = async (
    reason: string,
    detail: Record<string, string | number> = {},
    target?: string,
  ): Promise<TickOutcome> => {
    await deps.audit.append(
      labelEntry(deps, {
        at,
        actor: "rotation",
        action: "tick",
        ...(target === undefined ? {} : { target }),
        reason,
        result: "failed",
        ...(Object.keys(detail).length === 0 ? {} : { details: detail }),
      }),
    );
    await deps.events.publish([
      labelEvent(deps, { type: "RotationFailed", at, detail: { reason, ...detail } }),
    ]);
    return { status: "failed", reason };
  };

  await recoverChanges(deps, now).catch((error) => {
    // The rotation schedule does not wait for the journal's store: the next tick tries again.
    if (!(error instanceof StoreUnavailable)) throw error;
  });

  let keyring: Keyring | undefined;
  try {
    keyring = await deps.keyrings.load();
  } catch (error) {
    if (!(error instanceof KeyringInvalid)) throw error;
    return fail("keyring_invalid", { problems: error.problems.length });
  }
  if (keyring === undefined) return { status: "absent" };

  const usage = await usageOrUnknown(deps.usage, now);
  const stale = await staleOrNone(deps.usage, now);
  const holds = staleSignerHolds(keyring, now, usage, deps.policy, stale);
  if (holds.length > 0) {
    await deps.events.publish(
      holds.map((hold) => ({
        type: "StaleSigner" as const,
        at,
        detail: {
          kid: hold.kid,
          tokens: hold.tokens,
          holds: hold.holds,
          detail:
            hold.holds === "retire"
              ? "tokens are still being signed with this key after it stopped signing: a login service did not follow the rotation; its retirement waits (restart that service, or sign through keyward/issuer)"
              : "tokens in the legacy shape (no kid) are still being signed with the imported secret: the login service signs outside keyward; the first rotation waits until it signs through keyward/issuer or the issuing endpoint",
        },
      })),
    );
  }
  const hold = propagationHold(
    keyring,
    deps.keyringName,
    now,
    deps.policy,
    planTransitions(keyring, now, usage, deps.policy),
    await readEvidence(deps, now),
  );
  if (hold?.incomplete)
    await deps.events.publish([labelEvent(deps, incompleteEvent(hold, now, at))]);
  const made = newKeyOnce(deps);
  let planned: Awaited<ReturnType<typeof applyPlan>>;
  try {
    planned = await applyPlan(
      keyring,
      now,
      usage,
      deps.policy,
      (_, at) => made.make(at),
      stale,
      hold,
    );
  } catch (error) {
    if (!(error instanceof KmsUnavailable)) throw error;
    return fail("kms_unavailable", { awsType: error.awsType ?? "" });
  }
  const { keyring: next, applied } = planned;
  try {
    await deps.keyrings.save(next);
  } catch (error) {
    if (!(error instanceof KeyringConflict)) throw error;
    await made.abandon();
    return { status: "conflict" };
  }
  // Every tick, so a crash or an unanswered call after an earlier commit is repaired.
  await reconcileCustody(deps, next, "rotation", now);
  const found = lingeringPreviousKey(next, now, usage, deps.policy);
  const notes: Held = {
    ...(found === undefined ? {} : { lingering: found }),
    ...(hold === undefined
      ? {}
      : {
          propagation: {
            kid: hold.kid,
            live: hold.live,
            held: hold.held,
            waitingSeconds: Math.max(0, Math.floor((now - hold.dueAt) / 1000)),
            incomplete: hold.incomplete,
          },
        }),
  };
  if (applied.length === 0) return { status: "idle", ...notes };

  // The journal reads which key an activation replaced and how its self-test went from here.
  const replaced = currentKid(keyring);
  const activation = applied.find((action) => action.type === "activate");
  if (activation !== undefined) {
    const failure = await activationSelfTest(deps, keyring, next, now);
    if (failure !== undefined) {
      await restorePrevious(deps.keyrings, now);
      return fail(
        "self_test_failed",
        { detail: failure, replaces: replaced, selfTest: "failed" },
        activation.kid,
      );
    }
  }

  const events: KeywardEvent[] = [];
  for (const action of applied) {
    const kid = "kid" in action ? action.kid : (next.keys.at(-1)?.kid ?? "");
    await deps.audit.append(
      labelEntry(deps, {
        at,
        actor: "rotation",
        action: `policy.${action.type}`,
        target: kid,
        reason: action.reason,
        result: "ok",
        ...(action.type === "activate"
          ? { details: { replaces: replaced, selfTest: "passed" } }
          : action.type === "rollout"
            ? { details: { percent: action.percent } }
            : {}),
      }),
    );
    const type = EVENT_OF[action.type];
    if (type !== undefined)
      events.push(labelEvent(deps, { type, at, detail: { kid, reason: action.reason } }));
  }
  await deps.events.publish(events);
  return { status: "applied", actions: applied, revision: next.revision, ...notes };
}

function incompleteEvent(hold: PropagationHold, now: number, at: string): KeywardEvent {
  const waitingMinutes = Math.floor((now - hold.dueAt) / 60_000);
  return {
    type: "PropagationIncomplete",
    at,
    detail: {
      kid: hold.kid,
      holds: hold.holds,
      live: hold.live,
      held: hold.held,
      waitingMinutes,
      laggards: hold.laggards.slice(0, NAMED_AT_MOST),
      detail: hold.unreadable
        ? `the verifiers' receipts could not be read for ${waitingMinutes} minutes, so nobody can tell whether they hold the new key: its first signing waits (check Upstash; keyward activate --force proceeds without the evidence)`
        : `${hold.live - hold.held} of ${hold.live} live verifiers still do not hold the new key ${waitingMinutes} minutes after it could sign: its first signing waits (keyward verifiers names them; restart or fix them, or keyward activate --force)`,
    },
  };
}

/**
 * Stale-signer figures that cannot be read count as none: the guard then does not hold (the
 * grace gate's own figures still keep a key in use from being retired early).
 */
async function staleOrNone(usage: UsageSource, now: number): Promise<StaleSigners> {
  try {
    return (await usage.staleSignersByKid?.(now)) ?? {};
  } catch {
    return {};
  }
}

/** Figures that cannot be read count as unknown: the gate then keeps previous keys longer, never less. */
async function usageOrUnknown(usage: UsageSource, now: number): Promise<KeyUsage> {
  try {
    return await usage.verificationsByKid(now);
  } catch {
    return undefined;
  }
}
