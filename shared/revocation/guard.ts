import { ConfigInvalid } from "../kernel/errors.ts";
import type { RevocationRule, RevocationStatus, TokenFacts } from "./rules.ts";
import { type RevocationStore, StoreUnavailable } from "./store.ts";

/** `closed` (default): no answer means refuse. `open`: no answer means allow, and say so. */
export type FailureMode = "closed" | "open";

export type RevocationOutcome =
  | { readonly allowed: true; readonly status: "clear" }
  | { readonly allowed: true; readonly status: "store_unavailable" }
  | { readonly allowed: false; readonly status: "revoked"; readonly rule: RevocationRule }
  | { readonly allowed: false; readonly status: "store_unavailable" };

export interface RevocationCheck {
  (facts: TokenFacts): Promise<RevocationOutcome>;
  /**
   * The outcome without waiting, where the store can decide from memory; undefined otherwise.
   * `nowMs`: the request's one reading of the clock, when the caller has it.
   */
  now(facts: TokenFacts, nowMs?: number): RevocationOutcome | undefined;
}

const CLEAR: RevocationOutcome = { allowed: true, status: "clear" };

function outcomeOf(status: RevocationStatus): RevocationOutcome {
  return status.revoked ? { allowed: false, status: "revoked", rule: status.rule } : CLEAR;
}

/**
 * Applies the failure mode to a store's check. `store_unavailable` is always its own outcome, in
 * both modes, so metrics can count it; it is never read as "not revoked" unless the mode says so.
 */
export function guardRevocations(
  store: Pick<RevocationStore, "check"> & {
    checkNow?(facts: TokenFacts, nowMs?: number): RevocationStatus | undefined;
  },
  failureMode: FailureMode = "closed",
): RevocationCheck {
  if (failureMode !== "closed" && failureMode !== "open") {
    throw new ConfigInvalid([
      `revocation failure mode must be closed or open, got ${String(failureMode)}`,
    ]);
  }
  const check = async (facts: TokenFacts): Promise<RevocationOutcome> => {
    try {
      return outcomeOf(await store.check(facts));
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) throw error;
      return failureMode === "open"
        ? { allowed: true, status: "store_unavailable" }
        : { allowed: false, status: "store_unavailable" };
    }
  };
  return Object.assign(check, {
    now: (facts: TokenFacts, nowMs?: number) => {
      const status = store.checkNow?.(facts, nowMs);
      return status === undefined ? undefined : outcomeOf(status);
    },
  });
}
