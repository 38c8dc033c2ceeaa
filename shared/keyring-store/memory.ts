import type { Keyring } from "../keyring/keyring.ts";
import { parseKeyring, serializeKeyring } from "../keyring/serialize.ts";
import { assertValid, type KeyringStore, storedVersion, succession } from "./store.ts";

/** The keyring in process memory, stored serialized so callers never share mutable state. */
export class MemoryKeyringStore implements KeyringStore {
  #current: string | undefined;
  #previous: string | undefined;

  async load(): Promise<Keyring | undefined> {
    return this.#current === undefined ? undefined : parseKeyring(this.#current);
  }

  async loadPrevious(): Promise<Keyring | undefined> {
    return this.#previous === undefined ? undefined : parseKeyring(this.#previous);
  }

  async save(next: Keyring): Promise<void> {
    assertValid(next);
    const stored =
      this.#current === undefined ? undefined : storedVersion(parseKeyring(this.#current));
    if (succession(stored, storedVersion(next)) === "already-stored") return;
    this.#previous =
      this.#current === undefined ? undefined : withoutDestroyedMaterial(this.#current, next);
    this.#current = serializeKeyring(next);
  }
}

/** The previous state, minus the material of keys `next` destroys: destruction reaches backups too. */
export function withoutDestroyedMaterial(previous: string, next: Keyring): string {
  const destroyed = new Set(next.keys.filter((k) => k.status === "destroyed").map((k) => k.kid));
  const keyring = parseKeyring(previous);
  return serializeKeyring({
    ...keyring,
    keys: keyring.keys.map((key) => {
      if (!destroyed.has(key.kid)) return key;
      const { jwk: _, ...metadata } = key;
      return { ...metadata, status: "destroyed", destroyedAt: next.updatedAt };
    }),
  });
}
