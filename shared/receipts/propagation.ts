import type { Keyring } from "../keyring/keyring.ts";
import type { PolicyAction } from "../keyring/plan.ts";
import { prePublicationMs, type RotationPolicy } from "../keyring/policy.ts";
import { holdingOf } from "./holding.ts";
import type { Receipt } from "./receipt.ts";

/** What the live instances said: their receipts, or that they could not be read. */
export type Evidence =
  | { readonly readable: true; readonly receipts: readonly Receipt[] }
  | { readonly readable: false };

/**
 * A first signing the evidence holds back: the pending key would start signing (a graceful
 * activation, or a rolling rotation's first cohort) while a live instance has not said it holds
 * it, or while nobody can tell (the receipts could not be read).
 */
export interface PropagationHold {
  readonly kid: string;
  readonly holds: "activate" | "rollout";
  /** Live instances of the keyring, and how many of them hold the key. */
  readonly live: number;
  readonly held: number;
  /** The live instances that do not (none when the receipts could not be read). */
  readonly laggards: readonly Receipt[];
  readonly unreadable: boolean;
  /** When the pre-publication period ended: the wait is counted from here. */
  readonly dueAt: number;
  /** Waiting for longer than the policy's maximum: `PropagationIncomplete`, and `--force`. */
  readonly incomplete: boolean;
}

/**
 * Whether the action of `planned` that would make the pending key sign for the first time waits
 * for evidence at `now`. Instances that start later load the keyring as it is, so they hold the
 * key by construction; instances quiet for longer than the receipts' window are not live and
 * hold nothing back. Without evidence to read (`undefined`: no receipts where this runs) the
 * time-based minimum alone decides, as the planner does.
 */
export function propagationHold(
  keyring: Keyring,
  keyringName: string,
  now: number,
  policy: RotationPolicy,
  planned: readonly PolicyAction[],
  evidence: Evidence | undefined,
): PropagationHold | undefined {
  if (evidence === undefined) return undefined;
  const first = planned.find(
    (action): action is PolicyAction & { readonly type: "activate" | "rollout" } =>
      (action.type === "activate" || action.type === "rollout") &&
      keyring.rollout?.kid !== action.kid,
  );
  const key = keyring.keys.find((k) => k.kid === first?.kid && k.status === "pending");
  if (first === undefined || key === undefined) return undefined;
  const dueAt = key.createdAt + prePublicationMs(policy);
  const waiting = { kid: key.kid, holds: first.type, dueAt };
  const incomplete = now - dueAt >= policy.propagationMaxWaitMs;
  if (!evidence.readable)
    return { ...waiting, live: 0, held: 0, laggards: [], unreadable: true, incomplete };
  const { live, held, laggards } = holdingOf(evidence.receipts, keyringName, key.kid);
  if (laggards.length === 0) return undefined;
  return { ...waiting, live, held, laggards, unreadable: false, incomplete };
}

/** A laggard as an operator reads it: kind, region, instance, revision, and when it was last heard. */
export function laggardText(receipt: Receipt): string {
  const revision = receipt.revision === undefined ? "no keyring" : `revision ${receipt.revision}`;
  return `${receipt.kind} ${receipt.region} ${receipt.instance} (${revision}, last seen ${new Date(receipt.at).toISOString()})`;
}
