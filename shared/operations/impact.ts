import type { KeyStatus } from "../keyring/key.ts";
import type { Keyring } from "../keyring/keyring.ts";
import type { RotationPolicy } from "../keyring/policy.ts";
import { type NextTransition, nextTransition } from "../keyring/schedule.ts";
import type { KeyConsumer, UsageStore } from "../usage/counts.ts";
import type { OperationResult } from "./deps.ts";
import { refusal } from "./refusals.ts";

/**
 * Who would be refused if a key retired now: those whose tokens of it verifiers accepted over the
 * last day, by consumer and verifier kind, with the key's share of the keyring's verifications.
 */
export interface KeyImpact {
  readonly kid: string;
  readonly status: KeyStatus;
  /** Its verifications over the last day. */
  readonly verifications: number;
  /** Its share of the keyring's verifications over the last day, 0 to 1; null when none were counted. */
  readonly share: number | null;
  /** What the policy does next with it (a previous key: its retirement, earliest and latest). */
  readonly next: NextTransition | null;
  /** Most verifications first. */
  readonly consumers: readonly KeyConsumer[];
}

/**
 * The impact of retiring `kid` now, from the usage figures of the last day. Only tokens verifiers
 * saw count: a client that holds an unexpired token and has not presented it today is not in it.
 */
export async function keyImpact(
  keyring: Keyring,
  kid: string,
  policy: RotationPolicy,
  usage: Pick<UsageStore, "verificationsByKid" | "consumersOf">,
  now: number,
): Promise<OperationResult<KeyImpact>> {
  const key = keyring.keys.find((k) => k.kid === kid);
  if (key === undefined) return refusal("key_not_found", `no key ${kid} in this keyring`);
  let byKid: Awaited<ReturnType<typeof usage.verificationsByKid>>;
  let consumers: readonly KeyConsumer[];
  try {
    [byKid, consumers] = await Promise.all([
      usage.verificationsByKid(now),
      usage.consumersOf(kid, now),
    ]);
  } catch {
    return refusal("store_unavailable", "the usage figures could not be read; try again");
  }
  const verifications = byKid?.[kid] ?? 0;
  const total = keyring.keys.reduce((sum, k) => sum + (byKid?.[k.kid] ?? 0), 0);
  return {
    ok: true,
    value: {
      kid,
      status: key.status,
      verifications,
      share: total === 0 ? null : Math.round((verifications / total) * 10_000) / 10_000,
      next: nextTransition(key, policy),
      consumers,
    },
  };
}
