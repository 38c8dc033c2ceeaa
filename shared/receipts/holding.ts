import { type Receipt, verifies } from "./receipt.ts";

/** Whether the live instances of a keyring hold a key: those that do, and those that do not yet. */
export interface Holding {
  readonly kid: string;
  /** Live instances of the keyring. */
  readonly live: number;
  /** Of those, the ones whose receipt lists the kid. */
  readonly held: number;
  /** The ones that do not: what the key's activation waits for. */
  readonly laggards: readonly Receipt[];
}

/** Which of `receipts` (the live instances) verifying `keyring` hold `kid`; issuers do not count. */
export function holdingOf(receipts: readonly Receipt[], keyring: string, kid: string): Holding {
  const live = receipts.filter((receipt) => receipt.keyring === keyring && verifies(receipt));
  const laggards = live.filter((receipt) => !receipt.keys.some((key) => key.kid === kid));
  return { kid, live: live.length, held: live.length - laggards.length, laggards };
}
