import type { AuditEntry, AuditJournal } from "../audit/journal.ts";
import type { EventPublisher, KeywardEvent } from "../events/events.ts";
import type { Clock } from "../kernel/clock.ts";
import type { RandomSource } from "../kernel/random.ts";
import {
  isKeyringName,
  KEYRING_KINDS,
  type KeyringKind,
  type KeyringName,
} from "../keyring/names.ts";
import type { RotationPolicy } from "../keyring/policy.ts";
import { type KeyCustody, localCustody } from "../keyring-store/custody.ts";
import type { KeyringStore } from "../keyring-store/store.ts";
import type { RevocationTiming } from "../revocation/rules.ts";
import type { RevocationStore } from "../revocation/store.ts";
import type { Refused } from "./refusals.ts";

/**
 * Everything an operation touches, behind the store interfaces. One keyring at a time: the
 * operations are the same for both (`keyrings` and `policy` are that keyring's).
 */
export interface OperationDeps {
  /** Which keyring `keyrings` holds. */
  readonly keyringName: KeyringName;
  readonly keyrings: KeyringStore;
  readonly revocations: RevocationStore;
  readonly audit: AuditJournal;
  readonly events: EventPublisher;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly policy: RotationPolicy;
  readonly timing: RevocationTiming;
  /**
   * Where new keys are made and their private halves kept; by default with the keyring
   * (`localCustody`), or in AWS KMS for a signing keyring set so (`kmsCustody`).
   */
  readonly custody?: KeyCustody;
}

/** The custody of `deps`' keyring: its own, or keys made here and kept with the keyring. */
export function custodyOf(deps: Pick<OperationDeps, "custody" | "random">): KeyCustody {
  return deps.custody ?? localCustody(deps.random);
}

/** Who asked and why: every operation is journaled with both. */
export interface Request {
  readonly actor: string;
  readonly reason: string;
}

/** An operation's expected outcome: done, or refused with a stable code (refusals.ts). */
export type OperationResult<T> = { readonly ok: true; readonly value: T } | Refused;

/** The kind of keyring an operation works on. */
export function keyringKindOf(deps: Pick<OperationDeps, "keyringName">): KeyringKind {
  return KEYRING_KINDS[deps.keyringName];
}

/**
 * The same stores on another keyring: its own store and policy, its keys kept with it, the same
 * revocations, journal, events, clock and randomness (kids are random, so the two keyrings'
 * rules never collide).
 */
export function onKeyring<D extends OperationDeps>(
  deps: D,
  keyringName: KeyringName,
  keyrings: KeyringStore,
  policy: RotationPolicy,
): D {
  // Custody is the signing keyring's alone (KMS holds signing keys): another keeps its own keys.
  const { custody: _, ...shared } = deps;
  return { ...shared, keyringName, keyrings, policy } as D;
}

/** A journal entry names its keyring, unless it is the signing one (as before there were two). */
export function labelEntry<
  E extends Omit<AuditEntry, "result"> & { result?: AuditEntry["result"] },
>(deps: Pick<OperationDeps, "keyringName">, entry: E): E {
  const name = deps.keyringName;
  return name === "signing" ? entry : { ...entry, details: { ...entry.details, keyring: name } };
}

/** Likewise an event's detail. */
export function labelEvent(
  deps: Pick<OperationDeps, "keyringName">,
  event: KeywardEvent,
): KeywardEvent {
  const name = deps.keyringName;
  return name === "signing" ? event : { ...event, detail: { ...event.detail, keyring: name } };
}

/** The keyring a journaled change was made on (entries of the signing keyring carry none). */
export function keyringOfEntry(entry: Pick<AuditEntry, "details">): KeyringName {
  const name = entry.details?.keyring;
  return isKeyringName(name) ? name : "signing";
}
