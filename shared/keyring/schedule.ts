import { DAY } from "../kernel/clock.ts";
import type { RandomSource } from "../kernel/random.ts";
import { generateKey } from "./generate.ts";
import type { KeyRecord } from "./key.ts";
import type { Keyring } from "./keyring.ts";
import { applyPlan, retirementWindow } from "./plan.ts";
import { prePublicationMs, type RotationPolicy } from "./policy.ts";

export interface NextTransition {
  readonly action: "activate" | "publish-successor" | "retire" | "destroy";
  /** The earliest instant the policy may take the action. */
  readonly earliest: string;
  /** The latest, when it depends on usage (a previous key's grace). */
  readonly latest?: string;
}

/** What the policy will do next with a key, and when: for `GET /v1/keys` and `keyward status`. */
export function nextTransition(key: KeyRecord, policy: RotationPolicy): NextTransition | null {
  const iso = (ms: number) => new Date(ms).toISOString();
  switch (key.status) {
    case "pending":
      return { action: "activate", earliest: iso(key.createdAt + prePublicationMs(policy)) };
    case "current":
      return {
        action: "publish-successor",
        earliest: iso(
          (key.activatedAt ?? key.createdAt) + policy.rotationPeriodMs - prePublicationMs(policy),
        ),
      };
    case "previous": {
      const { earliest, latest } = retirementWindow(key, policy);
      return { action: "retire", earliest: iso(earliest), latest: iso(latest) };
    }
    case "retired":
      return {
        action: "destroy",
        earliest: iso((key.retiredAt ?? key.createdAt) + policy.retentionMs),
      };
    case "destroyed":
      return null;
  }
}

export interface PlannedTransition {
  readonly at: string;
  readonly action: string;
  readonly kid?: string;
  readonly reason: string;
}

/**
 * A dry run of the policy from `now` for `days`: the transitions it will make, with dates. Usage
 * is unknown ahead of time, so previous keys are shown retiring at the maximum grace; they may go
 * as early as the minimum grace (see `nextTransition`).
 */
export async function planAhead(
  keyring: Keyring,
  now: number,
  days: number,
  policy: RotationPolicy,
  random: RandomSource,
): Promise<PlannedTransition[]> {
  const until = now + days * DAY;
  const planned: PlannedTransition[] = [];
  const existing = new Set(keyring.keys.map((key) => key.kid));
  let state = keyring;
  let t = now;
  for (let steps = 0; steps < 1000; steps++) {
    // The dry run's keys are made here, whatever holds the real ones: nothing is created.
    const { keyring: next, applied } = await applyPlan(state, t, undefined, policy, (alg, at) =>
      generateKey(alg, at, random),
    );
    for (const action of applied) {
      // Keys the dry run creates get random kids that the real run will not reuse: not shown.
      const kid = "kid" in action && existing.has(action.kid) ? action.kid : undefined;
      planned.push({
        at: new Date(t).toISOString(),
        action: action.type,
        ...(kid === undefined ? {} : { kid }),
        reason: action.reason,
      });
    }
    state = next;
    const due = nextDue(state, policy);
    if (due === undefined || due > until) break;
    t = Math.max(due, t + 1);
  }
  return planned;
}

/** The earliest instant at which the policy (with unknown usage) has something to do. */
function nextDue(keyring: Keyring, policy: RotationPolicy): number | undefined {
  const times: number[] = [];
  for (const key of keyring.keys) {
    if (key.status === "pending") {
      const rollout = keyring.rollout?.kid === key.kid ? keyring.rollout : undefined;
      times.push(
        rollout === undefined
          ? key.createdAt + prePublicationMs(policy)
          : rollout.since + policy.rolloutStepMs,
      );
      continue;
    }
    const next = nextTransition(key, policy);
    if (next === null) continue;
    const at = Date.parse(next.latest ?? next.earliest);
    if (key.status === "current" && keyring.keys.some((k) => k.status === "pending")) continue;
    times.push(at);
  }
  return times.length === 0 ? undefined : Math.min(...times);
}
