import type { KeyringStore } from "../keyring-store/store.ts";
import type { JwksConsumer } from "./jwks-consumer.ts";
import { type Reach, reachOf } from "./propagation.ts";
import type { Receipt } from "./receipt.ts";

/**
 * A pending key's reach: how many of those verifying with its keyring (live instances, and for
 * the signing keyring the JWKS's consumers of the last day) hold it, and which do not, in words.
 */
export interface PendingReach extends Reach {
  readonly keyring: string;
  readonly kid: string;
}

/** For each keyring with a pending key, that key's reach among `receipts` and `consumers`. */
export async function pendingReach(
  keyrings: Readonly<Record<string, Pick<KeyringStore, "load">>>,
  receipts: readonly Receipt[],
  consumers: readonly JwksConsumer[] = [],
): Promise<PendingReach[]> {
  const reach: PendingReach[] = [];
  for (const [name, store] of Object.entries(keyrings)) {
    const key = (await store.load())?.keys.find((k) => k.status === "pending");
    if (key === undefined) continue;
    reach.push({ keyring: name, kid: key.kid, ...reachOf({ receipts, consumers }, name, key) });
  }
  return reach;
}
