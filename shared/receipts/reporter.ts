import type { Clock } from "../kernel/clock.ts";
import { PACKAGE_VERSION } from "../kernel/version.ts";
import { isVerifying } from "../keyring/key.ts";
import type { Keyring } from "../keyring/keyring.ts";
import type { RevocationLag } from "../revocation/lag.ts";
import type { InstanceKind, Receipt } from "./receipt.ts";

/** What an instance reports on: its keyring as held, and its mirror if it has one. */
export interface ReceiptSources {
  readonly instance: string;
  readonly kind: InstanceKind;
  readonly region: string;
  /** `signing` or `sessions`. */
  readonly keyring: string;
  readonly held: () => Keyring | undefined;
  readonly mirror?: {
    readonly position: string | undefined;
    takeLag(): RevocationLag | undefined;
  };
  readonly clock: Clock;
}

/** The receipt an instance writes now: called with each usage flush, at most once a minute. */
export function receiptReporter(sources: ReceiptSources): () => Receipt {
  return () => {
    const keyring = sources.held();
    return {
      instance: sources.instance,
      kind: sources.kind,
      region: sources.region,
      version: PACKAGE_VERSION,
      keyring: sources.keyring,
      revision: keyring?.revision,
      // The keys it verifies with: retired and destroyed ones accumulate over the years and
      // decide nothing.
      keys: (keyring?.keys ?? [])
        .filter((key) => isVerifying(key.status))
        .map(({ kid, status }) => ({ kid, status })),
      position: sources.mirror?.position,
      lag: sources.mirror?.takeLag(),
      at: sources.clock.now(),
    };
  };
}
