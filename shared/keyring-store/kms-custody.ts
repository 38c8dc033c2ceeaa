import { DAY } from "../kernel/clock.ts";
import { UsageError } from "../kernel/errors.ts";
import type { RandomSource } from "../kernel/random.ts";
import { newKid } from "../keyring/generate.ts";
import { isKmsAlgorithm, isVerifying, type KeyRecord, samePublicKey } from "../keyring/key.ts";
import type { CustodyChange, KeyCustody } from "./custody.ts";
import { type KmsKeys, KmsUnavailable } from "./kms-keys.ts";
import { OWNER_TAG, trimPrefix } from "./secrets-layout.ts";

/** The tags every key keyward creates in KMS carries; IAM grants `kms:Sign` on the first. */
export const KMS_KEYRING_TAG = "keyward:keyring";
export const KMS_KID_TAG = "keyward:kid";

/**
 * The tags of a signing keyring's KMS keys: the keyring (its Secrets Manager prefix, which IAM's
 * `kms:Sign` grant names) and, deployed, the owner (as its secrets carry).
 */
export function signingKeyTags(keyringPrefix: string, owner?: string): Record<string, string> {
  return {
    [KMS_KEYRING_TAG]: trimPrefix(keyringPrefix),
    ...(owner === undefined ? {} : { [OWNER_TAG]: owner }),
  };
}

/**
 * How long after its destruction a key's deletion is still checked on every tick: long past
 * KMS's 7-day window, so a deletion KMS refused for days is still retried, and bounded, so
 * the tick does not ask about every key ever destroyed.
 */
export const DELETION_FOLLOW_MS = 30 * DAY;

export interface KmsCustodyOptions {
  readonly kms: Pick<
    KmsKeys,
    "create" | "publicJwk" | "state" | "disable" | "enable" | "scheduleDeletion"
  >;
  readonly random: RandomSource;
  /** Tags for every key created: its keyring (`keyward:keyring`) and owner at least. */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * Whether this writer schedules destroyed keys' deletion. The rotation function does; the ops
   * API, which never destroys, has no `kms:ScheduleKeyDeletion` and runs with false.
   */
  readonly schedulesDeletion: boolean;
}

/**
 * Keys held in AWS KMS (ES256, or RS256): `create` makes one there and keeps only its ARN and
 * public half; `reconcile` maps the lifecycle onto KMS: keys that verify are enabled, a retired key is
 * disabled (reversible: a reinstate or a recovery enables it again), a destroyed key's deletion
 * is scheduled at KMS's shortest window. An emergency's compromised keys are retired, so the
 * reconcile after its commit disables them at once.
 */
export function kmsCustody(options: KmsCustodyOptions): KeyCustody {
  const { kms } = options;
  return {
    async create(alg, now) {
      if (!isKmsAlgorithm(alg))
        throw new UsageError(`a key held in KMS is ES256 or RS256, not ${alg}`);
      const kid = newKid(options.random);
      const arn = await kms.create(
        `keyward signing key ${kid}`,
        { ...options.tags, [KMS_KID_TAG]: kid },
        alg,
      );
      const { kid: _, alg: __, use: ___, ...half } = await kms.publicJwk(arn, kid);
      return {
        kid,
        alg,
        status: "pending",
        jwk: half,
        kms: { arn },
        createdAt: now,
        compromised: false,
        legacy: false,
      };
    },

    async reconcile(keyring, now) {
      const followed = keyring.keys.filter(
        (key) =>
          key.kms !== undefined &&
          (key.status !== "destroyed" ||
            (options.schedulesDeletion && now - (key.destroyedAt ?? now) < DELETION_FOLLOW_MS)),
      );
      const changes = await Promise.all(followed.map((key) => bringInLine(key)));
      return changes.flatMap((change) => (change === undefined ? [] : [change]));
    },

    async abandon(key) {
      if (key.kms === undefined) return;
      await kms.scheduleDeletion(key.kms.arn).catch(() => undefined);
    },

    async check(key) {
      if (key.kms === undefined) return undefined;
      const state = await kms.state(key.kms.arn);
      if (state !== "Enabled") return `KMS key of ${key.kid} is ${state}, not Enabled`;
      if (!samePublicKey(await kms.publicJwk(key.kms.arn, key.kid), key.jwk))
        return `KMS key of ${key.kid} has another public key than the keyring holds`;
      return undefined;
    },
  };

  async function bringInLine(key: KeyRecord): Promise<CustodyChange | undefined> {
    const arn = (key.kms as { arn: string }).arn;
    const state = await kms.state(arn).catch((error: unknown) => {
      // A deleted key is what a destroyed one should be.
      if (error instanceof KmsUnavailable && error.awsType === "NotFoundException") return "Gone";
      throw error;
    });
    if (key.status === "destroyed") {
      if (state === "PendingDeletion" || state === "Gone") return undefined;
      return { kid: key.kid, action: "schedule-deletion", goneAt: await kms.scheduleDeletion(arn) };
    }
    if (key.status === "retired" && state === "Enabled") {
      await kms.disable(arn);
      return { kid: key.kid, action: "disable" };
    }
    if (isVerifying(key.status) && state === "Disabled") {
      await kms.enable(arn);
      return { kid: key.kid, action: "enable" };
    }
    return undefined;
  }
}
