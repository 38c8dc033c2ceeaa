import type { KeyRecord } from "../keyring/key.ts";
import type { Keyring } from "../keyring/keyring.ts";
import type { CustodyChange } from "../keyring-store/custody.ts";
import { KmsUnavailable } from "../keyring-store/kms-keys.ts";
import { createLogger } from "../observability/log.ts";
import { custodyOf, labelEntry, type OperationDeps } from "./deps.ts";

const log = createLogger("keyward-operations");

const REASONS: Record<CustodyChange["action"], string> = {
  disable: "the key is retired: KMS signs nothing with it until a reinstate",
  enable: "the key verifies again: KMS signs with it again",
  "schedule-deletion":
    "the key is destroyed: KMS deletes its material at the end of its shortest window (7 days), not at once",
};

/**
 * After a commit: brings the key holder in line with the keyring (`KeyCustody.reconcile`) and
 * journals each change as `kms.<action>`, a scheduled deletion with the date the material is
 * gone. A holder that does not answer is left for the next tick, which reconciles again: the
 * commit stands either way, and a retired key is already refused by every verifier.
 */
export async function reconcileCustody(
  deps: OperationDeps,
  keyring: Keyring,
  actor: string,
  now: number,
): Promise<readonly CustodyChange[]> {
  let changes: readonly CustodyChange[];
  try {
    changes = await custodyOf(deps).reconcile(keyring, now);
  } catch (error) {
    if (!(error instanceof KmsUnavailable)) throw error;
    log.warn("KMS did not answer; the next tick brings its keys in line", {
      code: error.code,
      awsType: error.awsType,
    });
    return [];
  }
  const at = new Date(now).toISOString();
  for (const change of changes)
    await deps.audit.append(
      labelEntry(deps, {
        at,
        actor,
        action: `kms.${change.action}`,
        target: change.kid,
        reason: REASONS[change.action],
        result: "ok",
        ...(change.goneAt === undefined
          ? {}
          : { details: { materialGoneAt: new Date(change.goneAt).toISOString() } }),
      }),
    );
  return changes;
}

/**
 * A new key for one change, made once however often the change is retried after a conflict (a
 * key in KMS costs a call and a month's fee); `abandon` gives it up if it was never committed.
 */
export function newKeyOnce(deps: OperationDeps): {
  readonly make: (now: number) => Promise<KeyRecord>;
  readonly abandon: () => Promise<void>;
} {
  const custody = custodyOf(deps);
  let made: Promise<KeyRecord> | undefined;
  return {
    make: (now) => {
      made ??= custody.create(deps.policy.algorithm, now);
      return made;
    },
    abandon: async () => {
      const key = await made?.catch(() => undefined);
      if (key !== undefined) await custody.abandon(key);
    },
  };
}
