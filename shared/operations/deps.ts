import type { AuditJournal } from "../audit/journal.ts";
import type { Clock } from "../clock.ts";
import type { EventPublisher } from "../events.ts";
import type { RotationPolicy } from "../keyring/policy.ts";
import type { KeyringStore } from "../keyring-store/store.ts";
import type { RandomSource } from "../random.ts";
import type { RevocationTiming } from "../revocation/rules.ts";
import type { RevocationStore } from "../revocation/store.ts";

/** Everything an operation touches, behind the store interfaces. */
export interface OperationDeps {
  readonly keyrings: KeyringStore;
  readonly revocations: RevocationStore;
  readonly audit: AuditJournal;
  readonly events: EventPublisher;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly policy: RotationPolicy;
  readonly timing: RevocationTiming;
}

/** Who asked and why: every operation is journaled with both. */
export interface Request {
  readonly actor: string;
  readonly reason: string;
}

/** An operation's expected outcome: done, or refused with a stable code (mapped to 409/422 by the API). */
export type OperationResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: string; readonly message: string };
