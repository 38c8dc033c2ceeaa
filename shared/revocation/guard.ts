import { ConfigInvalid } from "../kernel/errors.ts";
import type { RevocationRule, TokenFacts } from "./rules.ts";
import { type RevocationStore, StoreUnavailable } from "./store.ts";

/** `closed` (default): no answer means refuse. `open`: no answer means allow, and say so. */
export type FailureMode = "closed" | "open";

export type RevocationOutcome =
  | { readonly allowed: true; readonly status: "clear" }
  | { readonly allowed: true; readonly status: "store_unavailable" }
  | { readonly allowed: false; readonly status: "revoked"; readonly rule: RevocationRule }
  | { readonly allowed: false; readonly status: "store_unavailable" };

export type RevocationCheck = (facts: TokenFacts) => Promise<RevocationOutcome>;

/**
 * Applies the failure mode to a store's check. `store_unavailable` is always its own outcome, in
 * both modes, so metrics can count it; it is never read as "not revoked" unless the mode says so.
 */
export function guardRevocations(
  store: Pick<RevocationStore, "check">,
  failureMode: FailureMode = "closed",
): RevocationCheck {
  if (failureMode !== "closed" && failureMode !== "open") {
    throw new ConfigInvalid([
      `revocation failure mode must be closed or open, got ${String(failureMode)}`,
    ]);
  }
  return async (facts) => {
    try {
      const status = await store.check(facts);
      return status.revoked
        ? { allowed: false, status: "revoked", rule: status.rule }
        : { allowed: true, status: "clear" };
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) throw error;
      return failureMode === "open"
        ? { allowed: true, status: "store_unavailable" }
        : { allowed: false, status: "store_unavailable" };
    }
  };
}
