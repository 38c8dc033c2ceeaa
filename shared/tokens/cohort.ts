/**
 * A subject's cohort for rolling rotations: a stable number from 0 to 99 derived from `sub`
 * (FNV-1a over its UTF-8 bytes). Stable across processes and platforms, so a subject stays on the
 * same key while the rollout percentage grows.
 */
export function cohortOf(sub: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(sub)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 100;
}
