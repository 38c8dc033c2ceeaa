import { KeyringInvalid, KeywardError, StoreUnavailable } from "../kernel/errors.ts";
import { keyringProblems } from "../keyring/invariants.ts";
import type { KeyRecord } from "../keyring/key.ts";
import type { Keyring } from "../keyring/keyring.ts";
import { serializeKeyring } from "../keyring/serialize.ts";

/**
 * Where the keyring lives. Writes are compare-and-set on the revision: `save(next)` commits only
 * if the stored keyring is at `next.revision - 1` (or nothing is stored yet), so two writers
 * never lose an update: one wins, the other gets `KeyringConflict` and starts again from `load`.
 * Saving the keyring that is already stored succeeds, so a re-run after a crash converges.
 */
export interface KeyringStore {
  /** The committed keyring, or undefined when none was ever saved. */
  load(): Promise<Keyring | undefined>;
  /** The committed keyring before the current one: the recovery floor. */
  loadPrevious(): Promise<Keyring | undefined>;
  save(next: Keyring): Promise<void>;
}

/** Another writer committed first. Load again, re-apply the change, save again. */
export class KeyringConflict extends KeywardError {
  override readonly code = "keyring_conflict";
}

/** A committed keyring as a store compares it: its revision and its stored text. */
export interface StoredVersion {
  readonly revision: number;
  readonly text: string;
}

export function storedVersion(keyring: Keyring): StoredVersion {
  return { revision: keyring.revision, text: serializeKeyring(keyring) };
}

/** Decides what a save of `next` over `stored` means: commit it, or nothing to do. Throws on conflict. */
export function succession(
  stored: StoredVersion | undefined,
  next: StoredVersion,
): "commit" | "already-stored" {
  if (stored === undefined) return "commit";
  if (stored.revision === next.revision && stored.text === next.text) return "already-stored";
  if (stored.revision !== next.revision - 1) {
    throw new KeyringConflict(
      `keyring is at revision ${stored.revision}; this change was made from revision ${next.revision - 1}`,
    );
  }
  return "commit";
}

/** Checks a keyring before it is written: a store never commits an invalid one. */
export function assertValid(keyring: Keyring): void {
  const problems = keyringProblems(keyring);
  if (problems.length > 0) throw new KeyringInvalid(problems);
}

/**
 * The keyring as it was before the last commit, as a new revision on top of the current one.
 * Keys destroyed since stay destroyed: their material is gone and never comes back.
 */
export async function restorePrevious(store: KeyringStore, now: number): Promise<Keyring> {
  const [current, previous] = await Promise.all([store.load(), store.loadPrevious()]);
  if (current === undefined || previous === undefined) {
    throw new StoreUnavailable("there is no previous keyring state to restore");
  }
  const destroyed = new Map(
    current.keys.filter((k) => k.status === "destroyed").map((k) => [k.kid, k]),
  );
  const keys = previous.keys.map((key): KeyRecord => destroyed.get(key.kid) ?? key);
  const restored: Keyring = { ...previous, keys, revision: current.revision + 1, updatedAt: now };
  assertValid(restored);
  await store.save(restored);
  return restored;
}
