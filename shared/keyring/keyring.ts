import { KeyringInvalid } from "../kernel/errors.ts";
import type { KeyRecord } from "./key.ts";

export const KEYRING_SCHEMA = 1;

/**
 * A rolling rotation in progress: the pending key `kid` signs for the subjects whose cohort
 * (a stable hash of `sub`, 0..99) is below `percent`.
 */
export interface Rollout {
  readonly kid: string;
  readonly percent: number;
  readonly since: number;
}

/** An immutable snapshot of every key. Transitions return a new snapshot with `revision + 1`. */
export interface Keyring {
  readonly schema: typeof KEYRING_SCHEMA;
  readonly revision: number;
  readonly updatedAt: number;
  readonly keys: readonly KeyRecord[];
  readonly rollout?: Rollout;
}

/** The key of `kid`; a loop, not `find`: verifiers call it per request, and a callback allocates. */
export function findKey(keyring: Keyring, kid: string): KeyRecord | undefined {
  for (const key of keyring.keys) if (key.kid === kid) return key;
  return undefined;
}

/** The one `current` key. A keyring without one never passes validation, so this is a bug if it throws. */
export function currentKey(keyring: Keyring): KeyRecord {
  const key = keyring.keys.find((k) => k.status === "current");
  if (key === undefined) throw new KeyringInvalid(["the keyring has no current key"]);
  return key;
}

/** The current key's kid, or "" for a keyring not yet validated (what a journal entry names). */
export function currentKid(keyring: Keyring): string {
  return keyring.keys.find((k) => k.status === "current")?.kid ?? "";
}
