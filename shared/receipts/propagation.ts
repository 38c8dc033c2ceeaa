import type { KeyRecord } from "../keyring/key.ts";
import type { Keyring } from "../keyring/keyring.ts";
import type { PolicyAction } from "../keyring/plan.ts";
import { prePublicationMs, type RotationPolicy } from "../keyring/policy.ts";
import { holdingOf } from "./holding.ts";
import { consumerText, type JwksConsumer, type JwksConsumerLog } from "./jwks-consumer.ts";
import type { Receipt } from "./receipt.ts";
import type { ReceiptReader } from "./store.ts";

/**
 * What those who verify said: the live instances' receipts and the JWKS's recent consumers, or
 * that they could not be read.
 */
export type Evidence =
  | {
      readonly readable: true;
      readonly receipts: readonly Receipt[];
      readonly consumers: readonly JwksConsumer[];
    }
  | { readonly readable: false };

/** Where the evidence is read: the receipts, and (where the JWKS records them) its consumers. */
export interface EvidenceSources {
  readonly receipts?: ReceiptReader;
  readonly jwksConsumers?: Pick<JwksConsumerLog, "recent">;
}

/**
 * The evidence now: undefined where no receipts are kept, `unreadable` when a store fails (the
 * gate then holds: no evidence is not evidence that every verifier holds the key).
 */
export async function readEvidence(
  sources: EvidenceSources,
  now: number,
): Promise<Evidence | undefined> {
  if (sources.receipts === undefined) return undefined;
  try {
    const [receipts, consumers] = await Promise.all([
      sources.receipts.live(now),
      sources.jwksConsumers?.recent(now) ?? [],
    ]);
    return { readable: true, receipts, consumers };
  } catch {
    return { readable: false };
  }
}

/** How far a key has reached: those who verify with its keyring, and who of them lack it (in words). */
export interface Reach {
  readonly live: number;
  readonly held: number;
  readonly laggards: readonly string[];
}

/**
 * Who holds `key`: each live instance of its keyring whose receipt lists it and, for the signing
 * keyring (the only one in the JWKS), each JWKS consumer of the last day that fetched since the
 * key was published.
 */
export function reachOf(
  evidence: { readonly receipts: readonly Receipt[]; readonly consumers: readonly JwksConsumer[] },
  keyringName: string,
  key: Pick<KeyRecord, "kid" | "createdAt">,
): Reach {
  const verifiers = holdingOf(evidence.receipts, keyringName, key.kid);
  const consumers = keyringName === "signing" ? evidence.consumers : [];
  const stale = consumers.filter((consumer) => consumer.fetchedAt < key.createdAt);
  return {
    live: verifiers.live + consumers.length,
    held: verifiers.held + consumers.length - stale.length,
    laggards: [...verifiers.laggards.map(laggardText), ...stale.map(consumerText)],
  };
}

/**
 * A first signing the evidence holds back: the pending key would start signing (a graceful
 * activation, or a rolling rotation's first cohort) while something that verifies has not said it
 * holds it, or while nobody can tell (the evidence could not be read).
 */
export interface PropagationHold extends Reach {
  readonly kid: string;
  readonly holds: "activate" | "rollout";
  readonly unreadable: boolean;
  /** When the pre-publication period ended: the wait is counted from here. */
  readonly dueAt: number;
  /** Waiting for longer than the policy's maximum: `PropagationIncomplete`, and `--force`. */
  readonly incomplete: boolean;
}

/**
 * Whether the action of `planned` that would make the pending key sign for the first time waits
 * for evidence at `now`. Instances that start later load the keyring as it is, so they hold the
 * key by construction; instances quiet for longer than the receipts' window, and JWKS consumers
 * not seen for a day, hold nothing back. Without evidence to read (`undefined`: no receipts where
 * this runs) the time-based minimum alone decides, as the planner does.
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
  const first = firstSigning(keyring, planned);
  const key = keyring.keys.find((k) => k.kid === first?.kid && k.status === "pending");
  if (first === undefined || key === undefined) return undefined;
  const dueAt = key.createdAt + prePublicationMs(policy);
  const waiting = { kid: key.kid, holds: first.type, dueAt };
  const incomplete = now - dueAt >= policy.propagationMaxWaitMs;
  if (!evidence.readable)
    return { ...waiting, live: 0, held: 0, laggards: [], unreadable: true, incomplete };
  const reach = reachOf(evidence, keyringName, key);
  if (reach.laggards.length === 0) return undefined;
  return { ...waiting, ...reach, unreadable: false, incomplete };
}

/** An action that makes a pending key sign for the first time. */
export type FirstSigning = PolicyAction & { readonly type: "activate" | "rollout" };

/**
 * The action of `planned` that makes the pending key sign for the first time: a graceful
 * activation, or a rolling rotation's first cohort (its later cohorts, and its final activation,
 * are of a key that signs already).
 */
export function firstSigning(
  keyring: Keyring,
  planned: readonly PolicyAction[],
): FirstSigning | undefined {
  return planned.find(
    (action): action is FirstSigning =>
      (action.type === "activate" || action.type === "rollout") &&
      keyring.rollout?.kid !== action.kid,
  );
}

/** A laggard as an operator reads it: kind, region, instance, revision, and when it was last heard. */
export function laggardText(receipt: Receipt): string {
  const revision = receipt.revision === undefined ? "no keyring" : `revision ${receipt.revision}`;
  return `${receipt.kind} ${receipt.region} ${receipt.instance} (${revision}, last seen ${new Date(receipt.at).toISOString()})`;
}
