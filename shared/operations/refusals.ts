import type { TransitionRefusalCode } from "../keyring/transitions.ts";

/**
 * Every code an operation refuses with: the lifecycle's own (a transition the keyring forbids)
 * and the operations'. The ops API maps each to an HTTP status in one exhaustive table.
 */
export type OperationRefusalCode =
  | TransitionRefusalCode
  /** Other writers kept committing first; nothing was written. */
  | "keyring_conflict"
  /** `init` on a keyring that exists. */
  | "keyring_exists"
  /** A rotation's key is pending activation already. */
  | "rotation_in_progress"
  /** A forced activation of a key whose pre-publication period is not over (or not pending). */
  | "activation_not_due"
  /** Another emergency made the current key moments ago. */
  | "emergency_in_progress"
  /** The revocation store (or the journal) did not take the write. */
  | "store_unavailable"
  /** The change is in force, but its check against the stored keyring failed. */
  | "self_test_failed"
  /** A legacy system's tokens or sessions outlive what the policy allows. */
  | "lifetime_too_long"
  /** The sample token given to read a legacy lifetime from is not the secret's, or has no `exp`. */
  | "sample_invalid"
  /** A token or key that revoking cannot apply to (not this keyring's, or one that signs). */
  | "not_revocable";

/** An operation's expected refusal: a stable code and what to do about it. */
export interface Refused {
  readonly ok: false;
  readonly code: OperationRefusalCode;
  readonly message: string;
}

export function refusal(code: OperationRefusalCode, message: string): Refused {
  return { ok: false, code, message };
}
