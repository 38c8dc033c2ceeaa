import type { RefreshStore } from "../refresh/store.ts";
import type { RevocationMirror } from "./mirror.ts";
import type { RevocationStore } from "./store.ts";

/**
 * A verifier beside its writer (the local stack): a rule written here reaches this process's
 * mirror before the write's answer, so the very next request is refused (deployed verifiers keep
 * the 1 s promise). After each write, the mirror reads the log before it decides again.
 */
export function revealingRevocations(
  store: RevocationStore,
  mirror: Pick<RevocationMirror, "expire"> | undefined,
): RevocationStore {
  if (mirror === undefined) return store;
  return {
    check: (facts) => store.check(facts),
    async revoke(targets, nowMs, options) {
      try {
        return await store.revoke(targets, nowMs, options);
      } finally {
        mirror.expire();
      }
    },
  };
}

/** Likewise for a refresh store, whose reuse writes the family's rule in its own script. */
export function revealingRefreshes(
  store: RefreshStore,
  mirror: Pick<RevocationMirror, "expire"> | undefined,
): RefreshStore {
  if (mirror === undefined) return store;
  return {
    create: (...args) => store.create(...args),
    families: (...args) => store.families(...args),
    async rotate(...args) {
      const outcome = await store.rotate(...args);
      if (outcome.kind === "refused" && outcome.reason === "refresh_token_reused") mirror.expire();
      return outcome;
    },
  };
}
