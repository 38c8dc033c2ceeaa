import { isVerifying, type KeyRecord } from "../keyring/key.ts";
import type { Keyring } from "../keyring/keyring.ts";

/** What a verifier needs from a keyring snapshot, computed once per snapshot. */
export interface KeyringIndex {
  readonly byKid: ReadonlyMap<string, KeyRecord>;
  /**
   * The imported legacy key: it alone accepts tokens without `kid`, while it verifies. Once
   * retired it is still named here, so such tokens are refused as `key_retired`, not `kid_missing`.
   */
  readonly legacy: KeyRecord | undefined;
  readonly kids: ReadonlySet<string>;
  /** Changes whenever the set of verifying keys or their statuses change. */
  readonly fingerprint: string;
}

const indexes = new WeakMap<Keyring, KeyringIndex>();

export function indexKeyring(keyring: Keyring): KeyringIndex {
  let index = indexes.get(keyring);
  if (index === undefined) {
    const verifying = keyring.keys.filter((key) => isVerifying(key.status));
    index = {
      byKid: new Map(keyring.keys.map((key) => [key.kid, key])),
      legacy: verifying.find((key) => key.legacy) ?? keyring.keys.findLast((key) => key.legacy),
      kids: new Set(keyring.keys.map((key) => key.kid)),
      fingerprint: verifying.map((key) => `${key.kid}:${key.status}`).join(","),
    };
    indexes.set(keyring, index);
  }
  return index;
}
