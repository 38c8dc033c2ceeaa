import type { UsageCounts } from "../../shared/usage/counts.ts";

/** Counts as a verifier hands them to a usage store. */
export function usageCounts(
  verified: Record<string, number>,
  refused: Record<string, number> = {},
  stale: Record<string, number> = {},
): UsageCounts {
  return {
    verified: new Map(Object.entries(verified)),
    refused: new Map(Object.entries(refused)),
    stale: new Map(Object.entries(stale)),
  };
}
