import type { RevocationStatus, RevocationTarget, TokenFacts } from "./rules.ts";

export type RevokeResult =
  | {
      readonly ok: true;
      readonly noop: boolean;
      /** The change-log entry the rule was appended as (its stream id), where the store keeps one. */
      readonly logged?: string;
    }
  | { readonly ok: false; readonly error: string };

/**
 * Where revocations live. `check` reads every rule that could apply to a token in one round trip;
 * `revoke` writes many rules in a bounded number of round trips, with one result per target.
 */
export interface RevokeOptions {
  /** Cut-offs (subject, claim, all) live at least until then, in seconds, or never expire. */
  readonly cutoffsUntil?: number | "forever";
}

export interface RevocationStore {
  revoke(
    targets: readonly RevocationTarget[],
    nowMs: number,
    options?: RevokeOptions,
  ): Promise<RevokeResult[]>;
  /** Throws `StoreUnavailable` when the store cannot answer within its time budget. */
  check(facts: TokenFacts): Promise<RevocationStatus>;
}

export { StoreUnavailable } from "../kernel/errors.ts";

/** A token entry whose token has expired (plus tolerance) revokes nothing: recording it is a no-op. */
export function isSpent(
  target: RevocationTarget,
  nowSeconds: number,
  clockToleranceSeconds: number,
): boolean {
  return target.kind === "token" && target.exp + clockToleranceSeconds <= nowSeconds;
}
