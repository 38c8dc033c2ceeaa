import type { Keyring } from "../keyring/keyring.ts";
import { parseKeyring, type SerializedKeyring, toSerialized } from "../keyring/serialize.ts";

/**
 * How a keyring is laid out in Secrets Manager (docs/stores.md): `<prefix>/keyring` holds the
 * state without material, `<prefix>/keys/<kid>` one key's material each. Shared by the SDK store
 * (writers) and the fetch reader (verifiers).
 */
export function stateName(prefix: string): string {
  return `${trimPrefix(prefix)}/keyring`;
}

export function materialName(prefix: string, kid: string): string {
  return `${trimPrefix(prefix)}/keys/${kid}`;
}

/**
 * The keyring's public keys as a JWKS (`{"keys": [...]}`, each with its `status`), written by the
 * writers beside the keyring for the public JWKS function, whose role may read this one secret
 * and nothing else: no material is ever in it.
 */
export function publicKeysName(prefix: string): string {
  return `${trimPrefix(prefix)}/public/jwks`;
}

/** The tag that says which deployment a secret belongs to; only its owner deletes it. */
export const OWNER_TAG = "keyward:owner";

export function trimPrefix(prefix: string): string {
  return prefix.replace(/\/+$/, "");
}

/**
 * The state text (no material) and each live key's material text. A key held in KMS has no
 * material to store: its public half stays in the state, and no secret is made for it.
 */
export function splitKeyring(keyring: Keyring): { state: string; materials: Map<string, string> } {
  const serialized = toSerialized(keyring);
  const materials = new Map<string, string>();
  for (const key of serialized.keys) {
    if (key.kms !== undefined) continue;
    if (key.jwk !== undefined) {
      materials.set(key.kid, JSON.stringify({ kid: key.kid, alg: key.alg, jwk: key.jwk }));
    }
    delete key.jwk;
  }
  return { state: JSON.stringify(serialized), materials };
}

/**
 * Joins a state with its keys' material and validates the whole (`KeyringInvalid` otherwise).
 * With `tolerateMissing` (an older state), a key whose material was destroyed since is returned as
 * destroyed.
 */
export async function assembleKeyring(
  state: string,
  material: (kid: string) => Promise<string | undefined> | string | undefined,
  tolerateMissing = false,
): Promise<Keyring> {
  const serialized = JSON.parse(state) as SerializedKeyring;
  for (const key of serialized.keys ?? []) {
    if (key.status === "destroyed" || key.kms !== undefined) continue;
    const text = await material(key.kid);
    if (text !== undefined) {
      const stored = JSON.parse(text) as {
        kid?: string;
        jwk?: SerializedKeyring["keys"][number]["jwk"];
      };
      if (stored.kid === key.kid && stored.jwk !== undefined) key.jwk = stored.jwk;
    } else if (tolerateMissing) {
      key.status = "destroyed";
      key.destroyedAt = serialized.updatedAt;
    }
  }
  return parseKeyring(serialized);
}

export function storedKids(state: string): string[] {
  return ((JSON.parse(state) as SerializedKeyring).keys ?? []).map((key) => key.kid);
}
