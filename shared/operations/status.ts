import type { KeyStatus } from "../keyring/key.ts";
import type { Keyring, Rollout } from "../keyring/keyring.ts";
import { sharesOf } from "../keyring/plan.ts";
import type { RotationPolicy } from "../keyring/policy.ts";
import { nextTransition } from "../keyring/schedule.ts";
import type { UsageStore } from "../usage/counts.ts";

/** Where a keyring's status reads its figures from; either may fail (the figures are then null). */
export type StatusFigures = Partial<Pick<UsageStore, "verificationsByKid" | "staleSignersByKid">>;

export interface KeyView {
  readonly kid: string;
  readonly alg: string;
  readonly status: KeyStatus;
  readonly compromised: boolean;
  readonly legacy: boolean;
  /** The AWS KMS key holding it (`KEYWARD_SIGNING_KEYS=kms`): an ARN, nothing secret. */
  readonly kmsKeyArn?: string;
  readonly createdAt: string;
  readonly activatedAt?: string;
  readonly deactivatedAt?: string;
  readonly retiredAt?: string;
  readonly destroyedAt?: string;
  /** Its share of the last day's verifications, 0 to 1; null until the keyring is used at all. */
  readonly share: number | null;
  /**
   * Tokens signed with it after it stopped signing (this hour and the last): a login service that
   * did not follow a rotation. Null when not measured.
   */
  readonly staleSigner: number | null;
  readonly next: ReturnType<typeof nextTransition>;
}

export interface KeyringStatus {
  readonly revision: number;
  readonly updatedAt: string;
  /** A previous key retires (past its minimum grace) once its share is below this, 0 to 1. */
  readonly retireBelowShare: number;
  readonly rollout?: Rollout;
  readonly keys: readonly KeyView[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A keyring's keys as an operator reads them: each key's dates, share, stale signers and next step. */
export async function keyringStatus(
  keyring: Keyring,
  policy: RotationPolicy,
  figures: StatusFigures,
  now: number,
): Promise<KeyringStatus> {
  const [usage, stale] = await Promise.all([
    figures.verificationsByKid?.(now).catch(() => undefined),
    figures.staleSignersByKid?.(now).catch(() => undefined),
  ]);
  const measured = keyring.keys.some((key) => (usage?.[key.kid] ?? 0) > 0);
  const shares = sharesOf(usage, keyring);
  return {
    revision: keyring.revision,
    updatedAt: iso(keyring.updatedAt),
    retireBelowShare: policy.retireBelowShare,
    ...(keyring.rollout ? { rollout: keyring.rollout } : {}),
    keys: keyring.keys.map((key) => ({
      kid: key.kid,
      alg: key.alg,
      status: key.status,
      compromised: key.compromised,
      legacy: key.legacy,
      ...(key.kms === undefined ? {} : { kmsKeyArn: key.kms.arn }),
      createdAt: iso(key.createdAt),
      ...(key.activatedAt === undefined ? {} : { activatedAt: iso(key.activatedAt) }),
      ...(key.deactivatedAt === undefined ? {} : { deactivatedAt: iso(key.deactivatedAt) }),
      ...(key.retiredAt === undefined ? {} : { retiredAt: iso(key.retiredAt) }),
      ...(key.destroyedAt === undefined ? {} : { destroyedAt: iso(key.destroyedAt) }),
      share: measured ? Math.round((shares(key.kid) ?? 0) * 10_000) / 10_000 : null,
      staleSigner: stale === undefined ? null : (stale[key.kid] ?? 0),
      next: nextTransition(key, policy),
    })),
  };
}
