import type { Algorithm, KeyRecord } from "./key.ts";
import type { Keyring } from "./keyring.ts";
import { prePublicationMs, type RotationPolicy } from "./policy.ts";
import {
  activateKey,
  destroyKey,
  publishKey,
  retireKey,
  setRollout,
  type TransitionResult,
} from "./transitions.ts";

/*
 * The rotation policy applied: what is due for a keyring at an instant (the planner, pure) and
 * those transitions applied as one revision (the applier).
 */

/** Verifications per kid over the last day; `undefined` when nobody measured. */
export type KeyUsage = Readonly<Record<string, number>> | undefined;

/** Tokens from stale signers per kid over the last hour (see `signedByStaleSigner`). */
export type StaleSigners = Readonly<Record<string, number>>;

/**
 * A transition the policy would make and holds because some login service still signs with a key
 * it would take out of use: retiring a previous key (its tokens would be refused, logins with
 * them too), or the first activation after an import while tokens in the legacy shape (the old
 * secret, outside keyward) are still being issued.
 */
export interface StaleSignerHold {
  readonly kid: string;
  readonly tokens: number;
  readonly holds: "retire" | "activate";
}

/** What stale signers hold at `now`: the retirements and activations `planTransitions` skips. */
export function staleSignerHolds(
  keyring: Keyring,
  now: number,
  usage: KeyUsage,
  policy: RotationPolicy,
  stale: StaleSigners,
): StaleSignerHold[] {
  const planned = planTransitions(keyring, now, usage, policy);
  const holds: StaleSignerHold[] = [];
  for (const action of planned) {
    if (action.type === "retire" && (stale[action.kid] ?? 0) > 0)
      holds.push({ kid: action.kid, tokens: stale[action.kid] ?? 0, holds: "retire" });
    if (action.type === "activate") {
      const legacy = keyring.keys.find((k) => k.legacy && k.status === "current");
      if (legacy !== undefined && (stale[legacy.kid] ?? 0) > 0)
        holds.push({ kid: legacy.kid, tokens: stale[legacy.kid] ?? 0, holds: "activate" });
    }
  }
  return holds;
}

export type PolicyAction =
  | { readonly type: "publish"; readonly reason: string }
  | { readonly type: "activate"; readonly kid: string; readonly reason: string }
  | {
      readonly type: "rollout";
      readonly kid: string;
      readonly percent: number;
      readonly reason: string;
    }
  | { readonly type: "retire"; readonly kid: string; readonly reason: string }
  | { readonly type: "destroy"; readonly kid: string; readonly reason: string };

/**
 * What is due at `now`: a pure function of the keyring, the usage figures and the policy. Applying
 * the plan and planning again at the same instant yields nothing, so a repeated tick is a no-op.
 */
export function planTransitions(
  keyring: Keyring,
  now: number,
  usage: KeyUsage,
  policy: RotationPolicy,
): PolicyAction[] {
  const actions: PolicyAction[] = [];
  const pending = keyring.keys
    .filter((key) => key.status === "pending")
    .sort((a, b) => a.createdAt - b.createdAt)[0];
  if (pending !== undefined) {
    const published = now - pending.createdAt >= prePublicationMs(policy);
    const rollout = keyring.rollout?.kid === pending.kid ? keyring.rollout : undefined;
    if (policy.strategy === "graceful" && published) {
      actions.push({
        type: "activate",
        kid: pending.kid,
        reason: "pre-publication period elapsed",
      });
    } else if (policy.strategy === "rolling" && rollout === undefined && published) {
      const percent = policy.rolloutSteps[0] ?? 100;
      actions.push({
        type: "rollout",
        kid: pending.kid,
        percent,
        reason: "pre-publication period elapsed",
      });
    } else if (rollout !== undefined && now - rollout.since >= policy.rolloutStepMs) {
      const next = policy.rolloutSteps.find((step) => step > rollout.percent);
      actions.push(
        next === undefined
          ? {
              type: "activate",
              kid: pending.kid,
              reason: `rollout complete after ${rollout.percent} %`,
            }
          : {
              type: "rollout",
              kid: pending.kid,
              percent: next,
              reason: "rollout step period elapsed",
            },
      );
    }
  }

  const shareOf = sharesOf(usage, keyring);
  for (const key of keyring.keys) {
    if (key.status === "previous") {
      const grace = retirementWindow(key, policy);
      const share = shareOf(key.kid);
      if (now >= grace.latest) {
        actions.push({ type: "retire", kid: key.kid, reason: "maximum grace period reached" });
      } else if (now >= grace.earliest && share !== undefined && share < policy.retireBelowShare) {
        const percent = (share * 100).toFixed(1);
        actions.push({
          type: "retire",
          kid: key.kid,
          reason: `share of verifications is ${percent} %`,
        });
      }
    } else if (key.status === "retired" && now - (key.retiredAt ?? now) >= policy.retentionMs) {
      actions.push({ type: "destroy", kid: key.kid, reason: "retention period elapsed" });
    }
  }

  const current = keyring.keys.find((key) => key.status === "current");
  const due = (current?.activatedAt ?? now) + policy.rotationPeriodMs - prePublicationMs(policy);
  if (pending === undefined && now >= due) {
    actions.push({ type: "publish", reason: "scheduled rotation is due" });
  }
  return actions;
}

/**
 * Each key's share of the last day's verifications (or opened sessions) among the keys of this
 * keyring; undefined when nobody measured. The figures are counted per kid for every keyring at
 * once, so another keyring's traffic must not make this one's keys look unused.
 */
export function sharesOf(usage: KeyUsage, keyring: Keyring): (kid: string) => number | undefined {
  if (usage === undefined) return () => undefined;
  const total = keyring.keys.reduce((sum, key) => sum + (usage[key.kid] ?? 0), 0);
  return (kid) => (total === 0 ? 0 : (usage[kid] ?? 0) / total);
}

/**
 * When a previous key may retire: from `earliest` once its share is low, at `latest` whatever it
 * is. Never before everything it signed or sealed has expired: a signer or sealer may use it for
 * up to a keyring cache TTL after it stopped being current, and what it made then lives up to
 * the maximum lifetime (of a token, or of a session for the sessions keyring).
 */
export function retirementWindow(
  key: KeyRecord,
  policy: RotationPolicy,
): { readonly earliest: number; readonly latest: number } {
  const since = key.deactivatedAt ?? key.createdAt;
  const lastExpiry = policy.maxTokenLifetimeMs + policy.keyringCacheTtlMs;
  return {
    earliest: since + Math.max(policy.minGraceMs, lastExpiry),
    latest: since + Math.max(policy.maxGraceMs, lastExpiry),
  };
}

export interface LingeringKey {
  readonly kid: string;
  /** Share of the last day's verifications, 0 to 1. */
  readonly share: number;
}

/**
 * The previous key with the largest share among those past their minimum grace (the runbook's
 * monitoring phase: a key still in use after 7 days deserves a look), or undefined if none is, or
 * nobody measured.
 */
export function lingeringPreviousKey(
  keyring: Keyring,
  now: number,
  usage: KeyUsage,
  policy: RotationPolicy,
): LingeringKey | undefined {
  const shareOf = sharesOf(usage, keyring);
  let lingering: LingeringKey | undefined;
  for (const key of keyring.keys) {
    const share = shareOf(key.kid);
    const grace = now - (key.deactivatedAt ?? now);
    if (key.status !== "previous" || share === undefined || grace < policy.minGraceMs) continue;
    if (lingering === undefined || share > lingering.share) lingering = { kid: key.kid, share };
  }
  return lingering;
}

/** Makes a new `pending` key: generated here, or created where it will be held (KMS). */
export type NewKey = (alg: Algorithm, now: number) => Promise<KeyRecord>;

/** Applies one planned action. `publish` makes the key with `newKey`, hence async. */
export async function applyAction(
  keyring: Keyring,
  action: PolicyAction,
  now: number,
  policy: RotationPolicy,
  newKey: NewKey,
): Promise<TransitionResult> {
  switch (action.type) {
    case "publish":
      return publishKey(keyring, await newKey(policy.algorithm, now), now);
    case "activate":
      return activateKey(keyring, action.kid, now);
    case "rollout":
      return setRollout(keyring, action.kid, action.percent, now);
    case "retire":
      return retireKey(keyring, action.kid, now);
    case "destroy":
      return destroyKey(keyring, action.kid, now);
  }
}

export interface TickResult {
  readonly keyring: Keyring;
  readonly applied: readonly PolicyAction[];
}

/**
 * Plans what is due at `now` and applies it in order, but for what stale signers hold and the
 * first signing `unpropagated` names (a pending key some live verifier does not hold yet). A
 * refused action is a bug in the plan (it only plans what the lifecycle allows), so it throws
 * rather than being skipped silently. The result is one revision after `keyring`, however many
 * actions it took: a tick is one commit.
 */
export async function applyPlan(
  keyring: Keyring,
  now: number,
  usage: KeyUsage,
  policy: RotationPolicy,
  newKey: NewKey,
  stale: StaleSigners = {},
  unpropagated?: { readonly kid: string; readonly holds: "activate" | "rollout" },
): Promise<TickResult> {
  const held = staleSignerHolds(keyring, now, usage, policy, stale);
  const actions = planTransitions(keyring, now, usage, policy).filter(
    (action) =>
      !held.some(
        (hold) =>
          (hold.holds === "retire" && action.type === "retire" && action.kid === hold.kid) ||
          (hold.holds === "activate" && action.type === "activate"),
      ) &&
      !(unpropagated?.holds === action.type && "kid" in action && unpropagated.kid === action.kid),
  );
  let next = keyring;
  for (const action of actions) {
    const result = await applyAction(next, action, now, policy, newKey);
    if (!result.ok) throw new Error(`planned ${action.type} was refused: ${result.message}`);
    next = result.keyring;
  }
  if (actions.length > 0) next = { ...next, revision: keyring.revision + 1 };
  return { keyring: next, applied: actions };
}
