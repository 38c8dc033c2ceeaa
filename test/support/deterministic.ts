import { createHash } from "node:crypto";
import type { RandomSource } from "../../shared/kernel/random.ts";

/** Reproducible bytes: SHA-256 of a seed and a counter. Tests only. */
export function seededRandom(seed: string): RandomSource {
  let counter = 0;
  return {
    bytes(length) {
      const out = new Uint8Array(length);
      for (let filled = 0; filled < length; filled += 32) {
        const block = createHash("sha256").update(`${seed}:${counter++}`).digest();
        out.set(block.subarray(0, Math.min(32, length - filled)), filled);
      }
      return out;
    },
  };
}

/** 2026-01-01T00:00:00Z: the instant tests start from. */
export const T0 = Date.UTC(2026, 0, 1);
