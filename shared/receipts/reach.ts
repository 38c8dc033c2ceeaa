import type { KeyringStore } from "../keyring-store/store.ts";
import { holdingOf } from "./holding.ts";
import type { Receipt } from "./receipt.ts";

/** A pending key's reach: how many live instances of its keyring hold it, and which do not. */
export interface PendingReach {
  readonly keyring: string;
  readonly kid: string;
  readonly live: number;
  readonly held: number;
  /** Instance ids. */
  readonly laggards: readonly string[];
}

/** For each keyring with a pending key, that key's reach among the live `receipts`. */
export async function pendingReach(
  keyrings: Readonly<Record<string, Pick<KeyringStore, "load">>>,
  receipts: readonly Receipt[],
): Promise<PendingReach[]> {
  const reach: PendingReach[] = [];
  for (const [name, store] of Object.entries(keyrings)) {
    const key = (await store.load())?.keys.find((k) => k.status === "pending");
    if (key === undefined) continue;
    const { live, held, laggards } = holdingOf(receipts, name, key.kid);
    reach.push({
      keyring: name,
      kid: key.kid,
      live,
      held,
      laggards: laggards.map((r) => r.instance),
    });
  }
  return reach;
}
